namespace Onboarding.Faults;

/// <summary>The fault suite's command line: <c>[--quick] [--only id,id]</c>.</summary>
internal sealed record FaultOptions
{
    public const string Usage = """
        usage: faults.sh [--quick] [--only ID[,ID...]]
          --quick   smaller counts and shorter outages (what the test suite runs)
          --only    run only these scenarios; ids: kill, broker-stop, broker-stop-long, redis-stop, redis-stop-long,
                    chord-kill, chord-redis, malformed, countdown, start-no-redis, start-no-broker,
                    cluster-node-loss, cluster-chord, cluster-publish
        """;

    public bool Quick { get; init; }

    public IReadOnlySet<string>? Only { get; init; }

    public static FaultOptions Parse(IReadOnlyList<string> args)
    {
        var options = new FaultOptions();
        for (var i = 0; i < args.Count; i++)
        {
            options = args[i] switch
            {
                "--quick" => options with { Quick = true },
                "--only" when i + 1 < args.Count => options with
                {
                    Only = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .ToHashSet(StringComparer.OrdinalIgnoreCase),
                },
                _ => throw new ArgumentException($"Unknown argument '{args[i]}'."),
            };
        }

        return options;
    }

    /// <summary>The full value, or the quick one.</summary>
    public T Pick<T>(T full, T quick) => Quick ? quick : full;
}
