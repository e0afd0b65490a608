namespace Onboarding.TaskEngine.Workflows;

/// <summary>
/// What the workflow runtime keeps in the result backend, in Celery's formats where Celery has one: chord sizes and
/// part returns (the chord counter), saved group results, the <c>.fired</c> flag that makes a chord body go out once,
/// and the workflow index behind status trees. Redis keeps them in production (<c>Redis/RedisWorkflowStore</c>).
/// </summary>
internal interface IWorkflowStore
{
    /// <summary>Sets a chord's size (<c>.s</c>) before any of its parts can finish, and announces it.</summary>
    Task SetChordSizeAsync(string groupId, int size, CancellationToken cancellationToken);

    /// <summary>Saves a group's result (GroupResult.save()) and announces it.</summary>
    Task SaveGroupAsync(string groupId, string json, CancellationToken cancellationToken);

    /// <summary>A saved group's result JSON, or null.</summary>
    Task<string?> GetGroupAsync(string groupId, CancellationToken cancellationToken);

    /// <summary>
    /// Adds this part's <c>[1, tid, state, result]</c> at <paramref name="groupIndex"/> (once per task id: a part run
    /// twice counts once) and reads the counters, atomically.
    /// </summary>
    Task<ChordPartReturn> AddChordPartAsync(string groupId, int? groupIndex, string member, string taskId, CancellationToken cancellationToken);

    /// <summary>Takes the chord's <c>.fired</c> flag for <paramref name="taskId"/>: true for exactly one caller, the one that publishes the body.</summary>
    Task<bool> TryTakeFiredAsync(string groupId, string taskId, CancellationToken cancellationToken);

    /// <summary>The task id of the part that took the <c>.fired</c> flag, or null.</summary>
    Task<string?> GetFiredByAsync(string groupId, CancellationToken cancellationToken);

    /// <summary>The parts returned so far, ordered by group index.</summary>
    Task<IReadOnlyList<ChordMember>> GetChordPartsAsync(string groupId, CancellationToken cancellationToken);

    /// <summary>Deletes the chord's counters once its body went out; the <c>.fired</c> flag and the counted ids stay until they expire.</summary>
    Task DeleteChordAsync(string groupId);

    /// <summary>Adds entries to the workflow index of <paramref name="rootId"/> (the first writer of an entry wins).</summary>
    Task IndexAsync(string rootId, IReadOnlyList<KeyValuePair<string, string>> entries, CancellationToken cancellationToken);

    /// <summary>The workflow index of <paramref name="rootId"/>.</summary>
    Task<IReadOnlyList<KeyValuePair<string, string>>> GetIndexAsync(string rootId, CancellationToken cancellationToken);
}
