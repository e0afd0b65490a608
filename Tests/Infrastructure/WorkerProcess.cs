using System.Diagnostics;

namespace Onboarding.Tests.Infrastructure;

/// <summary>
/// The real Workers host as a separate process, started like the AppHost starts it (<c>--queues …</c>, connection
/// strings from the environment), so a test can kill it with SIGKILL.
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private WorkerProcess(Process process) => _process = process;

    public int Id => _process.Id;

    /// <summary>Whether the process has ended, and with which code.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Starts the worker; <paramref name="arguments"/> are added to its command line (e.g. <c>--Worker:Events=true</c>).</summary>
    public static WorkerProcess Start(BrokerFixture fixture, string queues, int concurrency, params string[] arguments) =>
        Start(fixture.RabbitMqConnectionString, fixture.RedisConnectionString, queues, concurrency, arguments);

    /// <summary>Starts the worker against any servers, e.g. those of the whole application a test started.</summary>
    public static WorkerProcess Start(string rabbitMqConnectionString, string redisConnectionString, string queues, int concurrency, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])[WorkersAssemblyPath(), "--queues", queues, "--concurrency", concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture), .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ConnectionStrings__rabbitmq"] = rabbitMqConnectionString;
        start.Environment["ConnectionStrings__redis"] = redisConnectionString;
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        if (TaskEngine.Integration.EngineTestHost.QueueTypeUnderTest == Onboarding.TaskEngine.DependencyInjection.QueueType.Quorum)
        {
            // As the test's own host declares them: a quorum queue's arguments name its dead-letter queue.
            start.Environment["TaskEngine__QueueType"] = "quorum";
            start.Environment["TaskEngine__DeadLetterQueue"] = queues.Split(',')[0] + ".dead";
        }

        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");

        var process = Process.Start(start) ?? throw new InvalidOperationException("The worker did not start.");
        // Drain the pipes so the worker never blocks on a full buffer.
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new WorkerProcess(process);
    }

    /// <summary>Waits until the process ends by itself.</summary>
    public Task WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken);

    /// <summary>SIGKILL: no shutdown hook runs, no message is acked or requeued by the worker.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TestTimeouts.Operation);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    // The Workers build output next to the Tests build, in the same configuration.
    internal static string WorkersAssemblyPath() => ProjectAssemblyPath("Workers");

    /// <summary>A project's build output next to the Tests build, in the same configuration.</summary>
    internal static string ProjectAssemblyPath(string project)
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testOutput.Name;
        var configuration = testOutput.Parent!.Name;
        var path = Path.Combine(Projects.AppHost.ProjectPath, "..", project, "bin", configuration, framework, project + ".dll");
        return File.Exists(path) ? Path.GetFullPath(path) : throw new FileNotFoundException($"Build the {project} project first.", path);
    }
}
