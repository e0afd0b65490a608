namespace Onboarding.Cli.Commands;

/// <summary>Asks before something that deletes messages, unless <c>--yes</c>; never guesses an answer without a terminal.</summary>
internal static class Confirmation
{
    public static async Task<bool> AskAsync(CliConsole console, bool yes, string question, CancellationToken cancellationToken)
    {
        if (yes)
        {
            return true;
        }

        if (!console.InputIsTerminal)
        {
            throw CommandFailedException.Usage($"{question} Not asked: standard input is not a terminal. Pass --yes to confirm.");
        }

        await console.Error.WriteAsync($"{question} [y/N] ").ConfigureAwait(false);
        await console.Error.FlushAsync(cancellationToken).ConfigureAwait(false);
        var answer = await console.In.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        return answer?.Trim().ToLowerInvariant() is "y" or "yes";
    }
}
