namespace Onboarding.Cli;

/// <summary>Ends a command with one line on stderr and an exit code, never a stack trace.</summary>
internal sealed class CommandFailedException(string message, int exitCode = ExitCodes.Failed) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CommandFailedException Usage(string message) => new(message, ExitCodes.Usage);
}
