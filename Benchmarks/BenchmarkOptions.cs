using System.Globalization;
using Onboarding.TaskEngine.DependencyInjection;

namespace Onboarding.Benchmarks;

/// <summary>The command line of <c>scripts/bench.sh</c>: which workloads, how big, where to write JSON.</summary>
public sealed record BenchmarkOptions
{
    /// <summary>Every workload id, in the order they run and are reported.</summary>
    public static readonly IReadOnlyList<string> AllWorkloads = ["W1", "W1E", "W2", "W3", "W4", "W5", "W1Q", "W2Q", "W4Q", "W5Q", "W1QC", "W2QC", "W4QC", "W5QC", "C1", "CELERY", "RSS", "PROFILE"];

    /// <summary>10× smaller counts (CI smoke runs and development).</summary>
    public bool Quick { get; init; }

    /// <summary>The workloads to run (upper case ids from <see cref="AllWorkloads"/>).</summary>
    public IReadOnlyList<string> Only { get; init; } = AllWorkloads;

    /// <summary>Where to write the results as JSON, if anywhere.</summary>
    public string? JsonPath { get; init; }

    /// <summary>Worker execution slots for the in-process worker (W1–W5).</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>Sends in flight at once in the throughput workloads (a client with many concurrent callers).</summary>
    public int Publishers { get; init; } = 64;

    /// <summary>Overrides the W3 iteration count (the smoke test uses 20).</summary>
    public int? Iterations { get; init; }

    /// <summary>The type of the workload's queues: the W…Q and W…QC rows run W1, W2, W4 and W5 on quorum queues.</summary>
    public QueueType QueueType { get; init; } = QueueType.Classic;

    public int Scale(int full) => Quick ? Math.Max(1, full / 10) : full;

    public bool Runs(string workload) => Only.Contains(workload, StringComparer.OrdinalIgnoreCase);

    /// <summary>The W…QC rows: quorum queues on the three-node cluster.</summary>
    public static bool RunsOnCluster(string workload) => workload.EndsWith("QC", StringComparison.Ordinal);

    public static string Usage =>
        """
        usage: Benchmarks [--quick] [--only W1,W1E,W2,W3,W4,W5,W1Q,W2Q,W4Q,W5Q,W1QC,W2QC,W4QC,W5QC,C1,CELERY,RSS,PROFILE]
                          [--json out.json]
                          [--concurrency N] [--publishers N] [--iterations N]
               Benchmarks --worker --queue NAME [--concurrency N]   (the RSS workload's child process)
        RabbitMQ and Redis: ONBOARDING_BENCH_RABBITMQ and ONBOARDING_BENCH_REDIS when both are set, otherwise the
        AppHost starts them (Infrastructure:Only=true). The W…QC rows run on a three-node cluster: the nodes in
        ONBOARDING_BENCH_RABBITMQ_CLUSTER (every node's URI, ';'-separated) when set, otherwise a cluster the AppHost starts
        (Infrastructure:RabbitMQNodes=3) for those rows only.
        """;

    public static BenchmarkOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchmarkOptions();
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            options = args[i] switch
            {
                "--quick" => options with { Quick = true },
                "--only" => options with { Only = ParseList(Value()) },
                "--json" => options with { JsonPath = Value() },
                "--concurrency" => options with { Concurrency = ParsePositive(Value()) },
                "--publishers" => options with { Publishers = ParsePositive(Value()) },
                "--iterations" => options with { Iterations = ParsePositive(Value()) },
                _ => throw new ArgumentException($"Unknown argument '{args[i]}'."),
            };
        }

        return options;
    }

    private static string[] ParseList(string value)
    {
        var ids = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(id => id.ToUpperInvariant()).ToArray();
        var unknown = ids.Except(AllWorkloads).ToArray();
        return unknown.Length == 0 ? ids : throw new ArgumentException($"Unknown workload(s): {string.Join(',', unknown)}.");
    }

    private static int ParsePositive(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"'{value}' is not a positive integer.");
}
