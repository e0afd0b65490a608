using RabbitMQ.Client;

namespace Onboarding.Benchmarks;

/// <summary>
/// Where a cluster row's queues and connections landed. A quorum queue's leader takes its publishes and serves its
/// consumers; the client reaches it through whichever node it connected to (a random one of the list), so a row's
/// figure depends on both, and the table says which they were.
/// </summary>
internal sealed class QueuePlacement(Func<string, CancellationToken, Task<string?>> leaderOf)
{
    private readonly HashSet<string> _asked = new(StringComparer.Ordinal);
    private readonly List<string> _notes = [];

    /// <summary>
    /// Notes the node <paramref name="connection"/> reached and, the first time a queue is seen, the node leading it
    /// (asked then: at the host's start, before the workload measures anything, as <c>rabbitmqctl</c> costs CPU).
    /// </summary>
    public async Task RecordAsync(string queue, IConnection connection, CancellationToken cancellationToken)
    {
        var leader = string.Empty;
        if (_asked.Add(queue))
        {
            try
            {
                leader = await leaderOf(queue, cancellationToken).ConfigureAwait(false) is { } node ? $"leader {node}, " : string.Empty;
            }
            catch (InvalidOperationException ex)
            {
                leader = $"leader unknown ({ex.Message}), ";
            }
        }

        _notes.Add(FormattableString.Invariant($"{queue}: {leader}engine host connected to :{connection.Endpoint.Port}"));
    }

    public override string ToString() => string.Join("; ", _notes);
}
