using System.Diagnostics;
using System.Globalization;
using Onboarding.Benchmarks;
using Onboarding.TaskEngine.Diagnostics;

namespace Onboarding.Faults;

/// <summary>
/// One real <c>Workers</c> process, started as the AppHost starts it (<c>--queues … --concurrency …</c>, the servers in
/// <c>ConnectionStrings__rabbitmq</c> and <c>ConnectionStrings__redis</c>), with its console in a log file. Knows whether
/// it exited by itself or was killed by the suite.
/// </summary>
internal sealed class FaultWorker : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private bool _killed;

    private FaultWorker(Process process, StreamWriter log)
    {
        _process = process;
        _log = log;
    }

    public int Id => _process.Id;

    /// <summary>True when the process ended without the suite killing it: a worker must never do that.</summary>
    public bool ExitedByItself => !_killed && _process.HasExited;

    public static FaultWorker Start(FaultServers servers, ScenarioSetup setup, string logPath)
    {
        var workers = WorkerMemory.WorkersAssemblyPath()
            ?? throw new FileNotFoundException("Build the Workers project (same configuration as Faults) first.");
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])[workers, "--queues", setup.Queues, "--concurrency", setup.Concurrency.ToString(CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ConnectionStrings__rabbitmq"] = servers.RabbitMqConnectionString;
        start.Environment["ConnectionStrings__redis"] = servers.RedisConnectionString;
        start.Environment["TaskEngine__DeadLetterQueue"] = setup.DeadLetterQueue;
        start.Environment["TaskEngine__QueueType"] = setup.QueueType.ToString();
        start.Environment[DiagnosticTasks.ExecutionLogSetting.Replace(":", "__", StringComparison.Ordinal)] = setup.ExecutionLog;
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        // As the AppHost runs workers (see AppHost.cs).
        start.Environment["DOTNET_TC_CallCountingDelayMs"] = "0";
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");

        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException("The worker process did not start.");
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new FaultWorker(process, log);
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }

    /// <summary>VmRSS in bytes; 0 once the process is gone.</summary>
    public long ResidentBytes()
    {
        try
        {
            return _process.HasExited ? 0 : WorkerMemory.ReadStatus(_process.Id, "VmRSS");
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>SIGKILL: no shutdown hook runs; the broker takes back every unacknowledged message.</summary>
    public async Task KillAsync()
    {
        _killed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _killed = true;
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }
}
