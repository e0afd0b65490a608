using System.Diagnostics;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;

namespace Onboarding.Tests.Cli;

/// <summary>The built <c>onboarding</c> executable, as a shell runs it: its exit codes are what scripts see.</summary>
[Collection(BrokerCollection.Name)]
public sealed class OnboardingExecutableTests(BrokerFixture fixture)
{
    [Fact]
    public async Task Executable_ExitsWithTheDocumentedCodes_WhenRunAsAProcess()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        var environment = CliRunner.Environment(fixture, host);

        var help = await RunAsync(environment, "inspect", "--help");
        var sent = await RunAsync(environment, "call", DiagnosticTasks.Add, "--args", "[1, 2]", "--wait", "--timeout", "30");
        var notFound = await RunAsync(environment, "purge", "no-such-queue", "--yes");
        var usage = await RunAsync(environment, "call", DiagnosticTasks.Add, "--args", "[1,");
        var unreachable = await RunAsync(environment, "--rabbitmq", "amqp://guest:guest@127.0.0.1:1", "dead-letters", "list");

        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("active", help.Out, StringComparison.Ordinal);
        Assert.Contains("revoked", help.Out, StringComparison.Ordinal);
        Assert.True(sent.ExitCode == 0, sent.ToString());
        Assert.Matches(@"(?m)^result:\s+3$", sent.Out);
        Assert.True(notFound.ExitCode == 1, notFound.ToString());
        Assert.True(usage.ExitCode == 2, usage.ToString());
        Assert.True(unreachable.ExitCode == 3, unreachable.ToString());
        Assert.DoesNotContain("   at ", unreachable.Error, StringComparison.Ordinal);
    }

    private static async Task<CliRun> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add(ExecutablePath());
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("onboarding did not start.");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TestTimeouts.Operation, TestContext.Current.CancellationToken);
        return new CliRun(process.ExitCode, await output, await error);
    }

    // The Cli build output next to the Tests build, in the same configuration.
    private static string ExecutablePath()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var path = Path.Combine(Projects.AppHost.ProjectPath, "..", "Cli", "bin", testOutput.Parent!.Name, testOutput.Name, "onboarding.dll");
        return File.Exists(path) ? Path.GetFullPath(path) : throw new FileNotFoundException("Build the Cli project first.", path);
    }
}
