using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Onboarding.Tests.Infrastructure;
using Onboarding.Workers;

namespace Onboarding.Tests.Workers;

/// <summary>The Workers command line: the mapping to configuration (pure), and the real process as a user runs it.</summary>
public sealed class WorkerCommandLineTests
{
    [Theory]
    [InlineData(new[] { "--queues", "a,b" }, "Worker:Queues", "a,b")]
    [InlineData(new[] { "-Q", "a" }, "Worker:Queues", "a")]
    [InlineData(new[] { "--concurrency", "3" }, "Worker:Concurrency", "3")]
    [InlineData(new[] { "-c", "12" }, "Worker:Concurrency", "12")]
    [InlineData(new[] { "--prefetch-multiplier", "2" }, "Worker:PrefetchMultiplier", "2")]
    [InlineData(new[] { "--beat" }, "Worker:Beat", "true")]
    [InlineData(new[] { "-B" }, "Worker:Beat", "true")]
    [InlineData(new[] { "--beat", "false" }, "Worker:Beat", "false")]
    [InlineData(new[] { "--hostname", "w1@%h" }, "Worker:Hostname", "w1@%h")]
    [InlineData(new[] { "-n", "celery@box" }, "Worker:Hostname", "celery@box")]
    [InlineData(new[] { "--events" }, "Worker:Events", "true")]
    [InlineData(new[] { "-E" }, "Worker:Events", "true")]
    public void Parse_SetsTheConfigurationKey_OfEachOption(string[] args, string key, string value)
    {
        var result = Parse(args);

        Assert.Null(result.ExitCode);
        Assert.Equal(new Dictionary<string, string?> { [key] = value }, result.Configuration);
        Assert.Empty(result.HostArguments);
    }

    [Fact]
    public void Parse_SetsNoKey_WhenNoOptionIsGiven()
    {
        // Defaults stay with appsettings and the environment (the AppHost sets Worker__ShutdownGracePeriod, tests
        // ConnectionStrings__*), so an option that was not typed must not override them with its default.
        var result = Parse([]);

        Assert.Null(result.ExitCode);
        Assert.Empty(result.Configuration);
    }

    [Fact]
    public void Parse_PassesConfigurationOverridesToTheHost()
    {
        var result = Parse(["--queues", "q", "--Worker:ShutdownGracePeriod=00:00:10", "-B"]);

        Assert.Null(result.ExitCode);
        Assert.Equal(["--Worker:ShutdownGracePeriod=00:00:10"], result.HostArguments);
        Assert.Equal("q", result.Configuration["Worker:Queues"]);
        Assert.Equal("true", result.Configuration["Worker:Beat"]);
    }

    [Theory]
    [InlineData("--queus", "x")]
    [InlineData("--concurrency", "abc")]
    [InlineData("-c", "0")]
    [InlineData("--beat", "maybe")]
    [InlineData("--queues", ",")]
    public void Parse_AnswersExitCode2AndOneLine_WhenAnOptionIsWrong(string option, string value)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var result = WorkerCommandLine.Parse([option, value], output, error);

        Assert.Equal(2, result.ExitCode);
        Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(output.ToString());
    }

    [Fact]
    public async Task Main_PrintsEveryOptionWithItsDefaultAndExits0_WhenAskedForHelp()
    {
        // No connection strings at all: help must answer before anything connects.
        var (exitCode, output, error) = await RunWorkersAsync(["--help"], environment: new());

        Assert.Equal(0, exitCode);
        Assert.Empty(error);
        foreach (var option in (string[])["--queues", "--concurrency", "--prefetch-multiplier", "--beat", "--hostname", "--events"])
        {
            Assert.Contains(option, output, StringComparison.Ordinal);
        }

        Assert.Contains("[default: default]", output, StringComparison.Ordinal);
        Assert.Contains("[default: celery@%h]", output, StringComparison.Ordinal);
        // The two switches say their default too: off.
        Assert.Equal(2, output.Split("Off unless given", StringSplitOptions.None).Length - 1);
        Assert.Contains("%n", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Main_PrintsOneLineAndExits2_WhenAnOptionIsMisspelt()
    {
        var (exitCode, output, error) = await RunWorkersAsync(["--queus", "a"], environment: new());

        Assert.Equal(2, exitCode);
        Assert.Empty(output);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--queus", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Main_WaitsWithOneLinePerAttempt_WhenTheBrokerIsUnreachable()
    {
        var closedPort = FreeLoopbackPort();
        var lines = new ConcurrentQueue<string>();
        using var process = StartWorkers(
            ["--queues", "unreachable_test"],
            new()
            {
                ["ConnectionStrings__rabbitmq"] = $"amqp://guest:guest@127.0.0.1:{closedPort}",
                ["ConnectionStrings__redis"] = $"127.0.0.1:{FreeLoopbackPort()},abortConnect=false",
            },
            lines);
        try
        {
            await Eventually.UntilAsync(
                () => lines.Count(l => l.Contains("is not reachable", StringComparison.Ordinal)) >= 2 || process.HasExited,
                TestTimeouts.StartAndHealthy, TestContext.Current.CancellationToken);

            Assert.False(process.HasExited, "the worker must keep waiting for its broker");
            Assert.Contains(lines, l => l.Contains($"RabbitMQ at 127.0.0.1:{closedPort} is not reachable (Connection refused)", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.Contains("Exception", StringComparison.Ordinal));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TestTimeouts.Stop, CancellationToken.None);
        }
    }

    private static WorkerCommandLineResult Parse(string[] args) =>
        WorkerCommandLine.Parse(args, TextWriter.Null, TextWriter.Null);

    private static async Task<(int ExitCode, string Output, string Error)> RunWorkersAsync(
        string[] args, Dictionary<string, string> environment)
    {
        var lines = new ConcurrentQueue<string>();
        using var process = StartWorkers(args, environment, lines, separateError: true);
        // Waiting for the exit also waits for the output readers to reach the end of both streams.
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TestTimeouts.Operation, TestContext.Current.CancellationToken);
        var output = string.Join('\n', lines.Where(l => !l.StartsWith("!", StringComparison.Ordinal)));
        var error = string.Join('\n', lines.Where(l => l.StartsWith("!", StringComparison.Ordinal)).Select(l => l[1..]));
        return (process.ExitCode, output, error);
    }

    private static Process StartWorkers(
        string[] args, Dictionary<string, string> environment, ConcurrentQueue<string> lines, bool separateError = false)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(WorkerProcess.WorkersAssemblyPath());
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("ConnectionStrings__rabbitmq");
        start.Environment.Remove("ConnectionStrings__redis");
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Workers did not start.");
        // Standard error lines are marked with "!" when the caller wants the two streams apart.
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lines.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lines.Enqueue(separateError ? "!" + e.Data : e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
