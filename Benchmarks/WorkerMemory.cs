using System.Diagnostics;
using System.Globalization;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using RabbitMQ.Client;

namespace Onboarding.Benchmarks;

/// <summary>
/// Worker memory: publish a backlog, start a worker PROCESS (this executable with <c>--worker</c>) with concurrency 1
/// on it while every task sleeps, and read its VmRSS/VmHWM from /proc.
/// </summary>
internal static class WorkerMemory
{
    public static async Task<BenchmarkRow> RunAsync(
        BenchmarkInfrastructure infrastructure, BenchmarkOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var backlog = options.Scale(100_000);
        var queue = EngineHost.NewQueueName("rss");
        await using var host = await EngineHost.StartAsync(infrastructure, queue, worker: false, options.Concurrency, cancellationToken).ConfigureAwait(false);
        var sleep = new TaskSendOptions { IgnoreResult = true };
        var stopwatch = Stopwatch.StartNew();
        await Workloads.ForEachConcurrentAsync(backlog, options.Publishers, _ =>
            host.Client.SendAsync(DiagnosticTasks.Sleep, new DiagnosticTasks.SleepArgs(60), sleep, cancellationToken)).ConfigureAwait(false);
        await log.WriteLineAsync(FormattableString.Invariant($"  RSS: {backlog:N0} sleeping tasks queued in {stopwatch.Elapsed.TotalSeconds:0.0} s")).ConfigureAwait(false);

        var (worker, description) = StartWorker(infrastructure, queue);
        try
        {
            await WaitForConsumerAsync(host.Connection, queue, worker, cancellationToken).ConfigureAwait(false);
            // Let it take its prefetch, start the first task and settle.
            await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
            long rss = 0;
            for (var i = 0; i < 8; i++)
            {
                rss = Math.Max(rss, ReadStatus(worker.Id, "VmRSS"));
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
            }

            var peak = ReadStatus(worker.Id, "VmHWM");
            var waiting = await MessageCountAsync(host.Connection, queue, cancellationToken).ConfigureAwait(false);
            await log.WriteLineAsync($"  RSS: {Workloads.Megabytes(rss)} (peak {Workloads.Megabytes(peak)}), {waiting:N0} still in the queue").ConfigureAwait(false);
            return new BenchmarkRow
            {
                Id = "RSS",
                Workload = FormattableString.Invariant($"worker process RSS, {backlog:N0} tasks waiting, concurrency 1, task sleeping"),
                Target = "≤ 150 MB",
                Measured = $"{Workloads.Megabytes(rss)} (peak {Workloads.Megabytes(peak)})",
                Pass = rss <= 150L * 1024 * 1024,
                Values = new Dictionary<string, double>
                {
                    ["rssMb"] = rss / (1024.0 * 1024.0),
                    ["peakMb"] = peak / (1024.0 * 1024.0),
                    ["backlog"] = backlog,
                    ["stillQueued"] = waiting,
                },
                Notes = $"the worker process is {description}; VmRSS sampled for 2 s once it consumes; prefetch = concurrency × 4 keeps the backlog in the broker.",
            };
        }
        finally
        {
            if (!worker.HasExited)
            {
                worker.Kill(entireProcessTree: true);
            }

            await worker.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            worker.Dispose();
        }
    }

    /// <summary>
    /// The real Workers host (built next to this one, same configuration) when present, as the AppHost starts it;
    /// otherwise this executable's own <c>--worker</c> host.
    /// </summary>
    private static (Process Process, string Description) StartWorker(BenchmarkInfrastructure infrastructure, string queue)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        string description;
        if (WorkersAssemblyPath() is { } workers)
        {
            foreach (var argument in new[] { workers, "--queues", queue, "--concurrency", "1" })
            {
                start.ArgumentList.Add(argument);
            }

            description = "the Workers project (WebApplication + ServiceDefaults + engine)";
        }
        else
        {
            foreach (var argument in new[] { typeof(WorkerMemory).Assembly.Location, "--worker", "--queue", queue, "--concurrency", "1" })
            {
                start.ArgumentList.Add(argument);
            }

            description = "Benchmarks --worker (Host + ServiceDefaults + engine; Workers.dll was not built)";
        }

        start.Environment["ConnectionStrings__rabbitmq"] = infrastructure.RabbitMqConnectionString;
        start.Environment["ConnectionStrings__redis"] = infrastructure.RedisConnectionString;
        start.Environment["ONBOARDING_BENCH_RABBITMQ"] = infrastructure.RabbitMqConnectionString;
        start.Environment["ONBOARDING_BENCH_REDIS"] = infrastructure.RedisConnectionString;
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        return (Process.Start(start) ?? throw new InvalidOperationException("The worker process did not start."), description);
    }

    internal static string? WorkersAssemblyPath()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var path = Path.Combine(Projects.AppHost.ProjectPath, "..", "Workers", "bin", output.Parent!.Name, output.Name, "Workers.dll");
        return File.Exists(path) ? Path.GetFullPath(path) : null;
    }

    private static async Task WaitForConsumerAsync(IConnection connection, string queue, Process worker, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        while ((await channel.QueueDeclarePassiveAsync(queue, cancellationToken).ConfigureAwait(false)).ConsumerCount == 0)
        {
            if (worker.HasExited)
            {
                throw new InvalidOperationException($"The worker process exited with {worker.ExitCode} before consuming.");
            }

            if (deadline.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException("The worker process did not start consuming within 2 minutes.");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<uint> MessageCountAsync(IConnection connection, string queue, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        return (await channel.QueueDeclarePassiveAsync(queue, cancellationToken).ConfigureAwait(false)).MessageCount;
    }

    /// <summary>A <c>kB</c> line of /proc/&lt;pid&gt;/status, in bytes.</summary>
    internal static long ReadStatus(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                var value = line[(field.Length + 1)..].Trim();
                return long.Parse(value.Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no {field}.");
    }
}
