using Onboarding.Cli;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;

namespace Onboarding.Tests.Cli;

/// <summary>What one run of the command line printed and returned.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>
/// Runs the <c>onboarding</c> command line in this process, as its root command with arguments, with captured output
/// and an environment of its own: the fixture's connection strings, and when a test host is given its queue as the
/// default queue and route and its dead-letter queue, so the CLI sees what that host's engine and worker see.
/// </summary>
internal static class CliRunner
{
    public static Task<CliRun> RunAsync(BrokerFixture fixture, EngineTestHost? host, params string[] args) =>
        RunAsync(Environment(fixture, host), args, input: null, CancellationToken.None);

    public static async Task<CliRun> RunAsync(
        IReadOnlyDictionary<string, string> environment, string[] args, string? input, CancellationToken cancellationToken)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var console = new CliConsole
        {
            Out = TextWriter.Synchronized(output),
            Error = TextWriter.Synchronized(error),
            In = new StringReader(input ?? string.Empty),
            InputIsTerminal = input is not null,
            Environment = environment,
        };
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, TestContext.Current.CancellationToken);
        var exitCode = await OnboardingCommandLine.RunAsync(args, console, linked.Token);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Runs a command that goes on until cancelled (events), exposing its output while it runs.</summary>
    public static (Task<int> Exit, StringWriter Out, StringWriter Error) Start(
        IReadOnlyDictionary<string, string> environment, string[] args, CancellationToken cancellationToken)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = new CliConsole
        {
            Out = TextWriter.Synchronized(output),
            Error = TextWriter.Synchronized(error),
            In = new StringReader(string.Empty),
            Environment = environment,
        };
        return (OnboardingCommandLine.RunAsync(args, console, cancellationToken), output, error);
    }

    public static Dictionary<string, string> Environment(BrokerFixture fixture, EngineTestHost? host)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ConnectionStrings__rabbitmq"] = fixture.RabbitMqConnectionString,
            ["ConnectionStrings__redis"] = fixture.RedisConnectionString,
            // Never the state file of an application someone runs on this machine.
            ["ONBOARDING_APPHOST_STATE"] = Path.Combine(Path.GetTempPath(), $"onboarding-no-apphost-{Guid.NewGuid():N}.json"),
        };
        if (host is not null)
        {
            environment["TaskEngine__DefaultQueue"] = host.Queue;
            environment["TaskEngine__DeadLetterQueue"] = host.DeadLetterQueue;
            environment["TaskEngine__Routes__0__Pattern"] = "*";
            environment["TaskEngine__Routes__0__Queue"] = host.Queue;
        }

        return environment;
    }

    /// <summary>A failure is one line on stderr: no stack trace, nothing on stdout.</summary>
    public static void AssertOneLineError(CliRun run, int exitCode, string expectedText)
    {
        Assert.True(run.ExitCode == exitCode, run.ToString());
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length is 1 or 2, run.ToString());
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expectedText, run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.Out);
    }
}
