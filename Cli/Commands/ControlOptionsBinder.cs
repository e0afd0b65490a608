using System.CommandLine;
using Onboarding.Cli.Output;
using Onboarding.TaskEngine.Control;

namespace Onboarding.Cli.Commands;

/// <summary>
/// The options every remote control command takes, as Celery's <c>inspect</c>/<c>control</c> do: <c>--timeout</c>
/// (how long to wait for the next reply, 1 s) and <c>--destination</c> (<c>-d celery@a,celery@b</c>).
/// </summary>
internal sealed class ControlOptionsBinder
{
    public Option<double> Timeout { get; } = TimeoutOption.Create("How long to wait for the next worker's reply", defaultSeconds: 1);

    public Option<string[]> Destination { get; } = new("--destination", "-d")
    {
        Description = "Only these workers (node names, comma-separated or repeated, e.g. celery@host1,celery@host2)",
        HelpName = "nodes",
        AllowMultipleArgumentsPerToken = false,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Timeout);
        command.Options.Add(Destination);
    }

    public IReadOnlyList<string>? GetDestination(ParseResult parseResult)
    {
        var nodes = (parseResult.GetValue(Destination) ?? [])
            .SelectMany(value => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return nodes.Count == 0 ? null : nodes;
    }

    public ControlOptions Get(ParseResult parseResult) => new()
    {
        Timeout = TimeoutOption.Get(parseResult, Timeout),
        Destination = GetDestination(parseResult),
    };

    /// <summary>
    /// Node names must be unique in a fleet (Celery warns with DuplicateNodenameWarning): replies of two workers with
    /// one name cannot be told apart, and one would hide the other in JSON keyed by node.
    /// </summary>
    public static void WarnAboutDuplicates(CommandOutput output, IEnumerable<string> nodes)
    {
        foreach (var node in nodes.GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key))
        {
            output.WriteNote($"warning: several workers answer as {node}; give each its own --hostname (e.g. --hostname worker1@%h).");
        }
    }

    /// <summary>Celery's own words when nobody answered; exit code 1.</summary>
    public static CommandFailedException NoReplies(ControlOptions options) => new(
        $"No nodes replied within {options.Timeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} s" +
        (options.Destination is { Count: > 0 } nodes ? $" (asked: {string.Join(", ", nodes)})." : "."));
}
