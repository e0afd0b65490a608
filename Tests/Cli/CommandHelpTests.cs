using System.CommandLine;
using Onboarding.Cli;

namespace Onboarding.Tests.Cli;

/// <summary>
/// <c>--help</c> on every command of the tree, found by walking it (a command added later is covered too): it prints
/// the command's usage and description, exits 0 and needs no connection settings.
/// </summary>
public sealed class CommandHelpTests
{
    public static TheoryData<string> CommandPaths()
    {
        var root = OnboardingCommandLine.Create(new CliContext(new CliConsole { Out = TextWriter.Null, Error = TextWriter.Null, In = TextReader.Null }));
        var paths = new TheoryData<string>();
        void Walk(Command command, string path)
        {
            paths.Add(path);
            foreach (var sub in command.Subcommands)
            {
                Walk(sub, path.Length == 0 ? sub.Name : $"{path} {sub.Name}");
            }
        }

        Walk(root, string.Empty);
        return paths;
    }

    [Theory]
    [MemberData(nameof(CommandPaths))]
    public async Task Help_PrintsUsageAndDescription_ForEveryCommand(string path)
    {
        string[] args = [.. path.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"];

        var run = await CliRunner.RunAsync(new Dictionary<string, string>(), args, input: null, CancellationToken.None);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(string.Empty, run.Error);
        // The root's name is the executable's ("onboarding", the test host here); then the command's path.
        var text = run.Out.ReplaceLineEndings("\n");
        Assert.Matches($@"(?m)^Usage:\n  \S+{(path.Length == 0 ? string.Empty : " " + System.Text.RegularExpressions.Regex.Escape(path))} ", text);
        Assert.StartsWith("Description:\n  ", text, StringComparison.Ordinal);
        Assert.True(text.Split('\n')[1].Trim().Length > 10, run.ToString());
    }
}
