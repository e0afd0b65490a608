using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.OperationsConsole.DeadLetters;

/// <summary>
/// Replays or discards dead letters by id, the ids an operator selected, or all of them. A replay sends each message
/// back to the queue it came from (its <c>Origin</c>) with the dead-letter headers removed; a discard deletes it.
/// </summary>
public sealed class DeadLetterActions(IDeadLetterQueue queue)
{
    /// <summary>The most a page lists: reading a dead letter means taking it and putting it back in order.</summary>
    public const int MaxListed = 500;

    public async Task<(uint Count, IReadOnlyList<DeadLetter> Letters)> ListAsync(int limit, CancellationToken cancellationToken)
    {
        var count = await queue.CountAsync(cancellationToken).ConfigureAwait(false);
        var letters = count == 0 ? [] : await queue.ListAsync(Math.Clamp(limit, 1, MaxListed), cancellationToken).ConfigureAwait(false);
        return (count, letters);
    }

    /// <summary>Replays every dead letter with one of <paramref name="ids"/> (a message dead-lettered twice is two), or all when <paramref name="ids"/> is null.</summary>
    public Task<int> ReplayAsync(IReadOnlyCollection<string>? ids, CancellationToken cancellationToken) =>
        ApplyAsync(ids, queue.ReplayAsync, cancellationToken);

    /// <summary>Deletes every dead letter with one of <paramref name="ids"/> for good, or all when <paramref name="ids"/> is null.</summary>
    public Task<int> DiscardAsync(IReadOnlyCollection<string>? ids, CancellationToken cancellationToken) =>
        ApplyAsync(ids, queue.DiscardAsync, cancellationToken);

    private static async Task<int> ApplyAsync(IReadOnlyCollection<string>? ids,
        Func<DeadLetterSelector, CancellationToken, Task<int>> action, CancellationToken cancellationToken)
    {
        if (ids is null)
        {
            return await action(DeadLetterSelector.All, cancellationToken).ConfigureAwait(false);
        }

        var done = 0;
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            done += await action(DeadLetterSelector.ById(id), cancellationToken).ConfigureAwait(false);
        }

        return done;
    }
}
