using System.Text.Json;

namespace Onboarding.TaskEngine.Scheduling;

/// <summary>A periodic task as every scheduler that declares it records it, with its last and next run.</summary>
/// <param name="Name">The entry's name.</param>
/// <param name="TaskName">The task it sends.</param>
/// <param name="Schedule">The schedule in words: a cron expression, or <c>every hh:mm:ss</c>.</param>
/// <param name="Args">Positional arguments the task is sent with.</param>
/// <param name="Kwargs">Keyword arguments, if any.</param>
/// <param name="Queue">An explicit queue, or null when the routes decide.</param>
/// <param name="ExpiresIn">How long a sent task may wait before it expires.</param>
/// <param name="LastRun">The last tick fired (by any scheduler) when the entry was last recorded, or null when none was.</param>
/// <param name="NextRun">The next tick due when the entry was last recorded; in the past when no scheduler fires it.</param>
/// <param name="DeclaredBy">The node whose scheduler recorded the entry last.</param>
/// <param name="RecordedAt">When it did.</param>
public sealed record PeriodicTaskEntry(
    string Name,
    string TaskName,
    string Schedule,
    IReadOnlyList<JsonElement> Args,
    IReadOnlyDictionary<string, JsonElement>? Kwargs,
    string? Queue,
    TimeSpan? ExpiresIn,
    DateTimeOffset? LastRun,
    DateTimeOffset? NextRun,
    string DeclaredBy,
    DateTimeOffset RecordedAt);

/// <summary>Every recorded periodic task and who holds the scheduler lease.</summary>
/// <param name="Entries">The entries, by name.</param>
/// <param name="LeaseHolder">The node whose scheduler fires the ticks now, or null when the lease is free (no scheduler runs).</param>
/// <param name="LeaseOwner">The lease's owner token as stored (node, machine, process and instance).</param>
/// <param name="LeaseExpiresIn">How long the lease lasts unless its holder renews it.</param>
public sealed record PeriodicTaskBoardState(
    IReadOnlyList<PeriodicTaskEntry> Entries,
    string? LeaseHolder,
    string? LeaseOwner,
    TimeSpan? LeaseExpiresIn);

/// <summary>What operators read about the periodic tasks: the schedulers record it in Redis, so any process can.</summary>
public interface IPeriodicTaskBoard
{
    Task<PeriodicTaskBoardState> ReadAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// What a scheduler writes for <see cref="IPeriodicTaskBoard"/>: its entries at start, an entry's next run after it
/// fired. The lease holder's node is the part of its owner token before <see cref="OwnerSeparator"/>.
/// </summary>
internal interface IPeriodicTaskRecorder
{
    public const char OwnerSeparator = '|';

    Task DeclareAsync(IEnumerable<PeriodicTaskDefinition> definitions, string node, CancellationToken cancellationToken = default);

    Task RecordFiredAsync(PeriodicTaskDefinition definition, DateTimeOffset tick, string node);
}
