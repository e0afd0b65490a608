namespace Onboarding.Cli;

/// <summary>The process exit codes, documented in the README for scripts.</summary>
internal static class ExitCodes
{
    /// <summary>Done as asked.</summary>
    public const int Success = 0;

    /// <summary>The operation ran and failed, or what it names does not exist (a task, a dead letter, a queue).</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong: an unknown option, bad JSON, missing settings, a question that cannot be asked.</summary>
    public const int Usage = 2;

    /// <summary>RabbitMQ or Redis could not be reached, or refused the login.</summary>
    public const int ConnectionFailed = 3;

    /// <summary>Interrupted (Ctrl+C) before the operation finished, as shells report SIGINT.</summary>
    public const int Interrupted = 130;
}
