using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Onboarding.Benchmarks;

/// <summary>One row of the results table.</summary>
public sealed record BenchmarkRow
{
    public required string Id { get; init; }

    public required string Workload { get; init; }

    public required string Target { get; init; }

    /// <summary>What was measured, formatted; "not available" when the workload cannot run yet.</summary>
    public required string Measured { get; init; }

    /// <summary>Null when there is nothing to judge (not available, or no target).</summary>
    public bool? Pass { get; init; }

    /// <summary>Celery 5.2 / MassTransit reference numbers on the same machine, from the issue.</summary>
    public string Reference { get; init; } = string.Empty;

    /// <summary>The raw numbers behind <see cref="Measured"/> (rates in /s, latencies in ms, sizes in MB).</summary>
    public IReadOnlyDictionary<string, double> Values { get; init; } = new Dictionary<string, double>();

    public string Notes { get; init; } = string.Empty;
}

/// <summary>One line of the hot-path profile: the cost of one step measured on its own.</summary>
public sealed record ProfileRow(string Step, double MicrosecondsPerOp, double BytesPerOp, int Operations, string Notes);

/// <summary>A whole run: the table, the profile and where it ran.</summary>
public sealed record BenchmarkReport
{
    public required DateTimeOffset StartedAt { get; init; }

    public required string Machine { get; init; }

    public required string Infrastructure { get; init; }

    public required bool Quick { get; init; }

    public List<BenchmarkRow> Rows { get; } = [];

    public List<ProfileRow> Profile { get; } = [];

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Machine}; infrastructure: {Infrastructure}; {(Quick ? "--quick (10× smaller counts)" : "full counts")}; {StartedAt:yyyy-MM-dd HH:mm} UTC");
        text.AppendLine();
        text.AppendLine("| id | workload | target | measured | pass | reference (same machine) |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var row in Rows)
        {
            var pass = row.Pass switch { true => "✅ pass", false => "❌ fail", null => "—" };
            text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Id} | {row.Workload} | {row.Target} | {row.Measured} | {pass} | {row.Reference} |");
        }

        var notes = Rows.Where(r => r.Notes.Length > 0).ToArray();
        if (notes.Length > 0)
        {
            text.AppendLine();
            foreach (var row in notes)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- {row.Id}: {row.Notes}");
            }
        }

        if (Profile.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Hot path, each step measured on its own:");
            text.AppendLine();
            text.AppendLine("| step | µs/op | bytes allocated/op | ops | notes |");
            text.AppendLine("|---|---:|---:|---:|---|");
            foreach (var row in Profile)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Step} | {row.MicrosecondsPerOp:N1} | {row.BytesPerOp:N0} | {row.Operations:N0} | {row.Notes} |");
            }
        }

        return text.ToString();
    }

    public static string Rate(double perSecond) => perSecond.ToString("N0", CultureInfo.InvariantCulture) + "/s";

    public static string Milliseconds(double ms) => ms.ToString("0.00", CultureInfo.InvariantCulture) + " ms";
}
