using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Onboarding.Benchmarks;

/// <summary>
/// <c>Benchmarks --worker --queue NAME [--concurrency N]</c>: a worker host like Workers (service defaults, engine,
/// worker) without Kestrel, for the memory workload. Connection strings come from the benchmark's environment variables.
/// </summary>
internal static class BenchmarkWorker
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        string? queue = null;
        var concurrency = 1;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--worker":
                    break;
                case "--queue" when i + 1 < args.Count:
                    queue = args[++i];
                    break;
                case "--concurrency" when i + 1 < args.Count:
                    concurrency = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
                    break;
                default:
                    await Console.Error.WriteLineAsync(BenchmarkOptions.Usage).ConfigureAwait(false);
                    return 2;
            }
        }

        if (queue is null)
        {
            await Console.Error.WriteLineAsync(BenchmarkOptions.Usage).ConfigureAwait(false);
            return 2;
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:rabbitmq"] = Environment.GetEnvironmentVariable("ONBOARDING_BENCH_RABBITMQ"),
            ["ConnectionStrings:redis"] = Environment.GetEnvironmentVariable("ONBOARDING_BENCH_REDIS"),
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        builder.AddTaskEngine(configure: o =>
        {
            o.DefaultQueue = queue;
            o.DeadLetterQueue = "bench.dead";
        }).AddTaskWorker(o =>
        {
            o.Queues = queue;
            o.Concurrency = concurrency;
            o.ShutdownGracePeriod = TimeSpan.Zero;
        });

        await builder.Build().RunAsync().ConfigureAwait(false);
        return 0;
    }
}
