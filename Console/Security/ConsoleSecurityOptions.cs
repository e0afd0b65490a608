namespace Onboarding.OperationsConsole.Security;

/// <summary>The console's login (section <c>Console</c>): the AppHost passes its <c>console-password</c> parameter.</summary>
public sealed class ConsoleSecurityOptions
{
    /// <summary>The operator password. The console refuses to start without one: it can purge queues and kill tasks.</summary>
    public string? Password { get; set; }

    /// <summary>How long a login lasts without activity.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);
}
