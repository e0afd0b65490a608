using System.Globalization;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Scheduling;
using StackExchange.Redis;

namespace Onboarding.OperationsConsole.Schedules;

/// <summary>The Schedules page's data and its one action, Run now.</summary>
public sealed class ScheduleActions(IPeriodicTaskBoard board, ITaskClient client, IConnectionMultiplexer redis, TimeProvider time)
{
    /// <summary>Header on a task sent by Run now: who sent it and when, beside the scheduler's own <c>beat_name</c>.</summary>
    public const string RunNowHeader = "console_run_now";

    // The scheduler's own header naming the entry a task was sent for (Python reads it as request.beat_name).
    private const string BeatNameHeader = "beat_name";
    private const string RunsKeyPrefix = "console:schedule-runs:";
    private const int RunsKept = 10;
    private static readonly TimeSpan RunsKeptFor = TimeSpan.FromDays(7);

    public Task<PeriodicTaskBoardState> ReadAsync(CancellationToken cancellationToken) => board.ReadAsync(cancellationToken);

    /// <summary>The ids of the tasks Run now sent for the entry, newest first.</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> ManualRunsAsync(IEnumerable<string> names)
    {
        var database = redis.GetDatabase();
        var runs = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            runs[name] = [.. (await database.ListRangeAsync(RunsKeyPrefix + name).ConfigureAwait(false)).Select(id => id.ToString())];
        }

        return runs;
    }

    /// <summary>
    /// Sends the entry's task once, now, with its configured arguments, queue and expiry, outside its schedule (no tick
    /// is claimed, so the next tick fires as planned). It carries the scheduler's <c>beat_name</c> header and
    /// <see cref="RunNowHeader"/>, and its id is remembered for the page. Null when no scheduler recorded the entry.
    /// </summary>
    public async Task<string?> RunNowAsync(string name, CancellationToken cancellationToken)
    {
        var state = await board.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (state.Entries.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.Ordinal)) is not { } entry)
        {
            return null;
        }

        var result = await client.SendAsync(entry.TaskName, entry.Args, entry.Kwargs, new TaskSendOptions
        {
            Queue = entry.Queue,
            ExpiresIn = entry.ExpiresIn,
            Headers = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                [BeatNameHeader] = entry.Name,
                [RunNowHeader] = time.GetUtcNow().ToString("o", CultureInfo.InvariantCulture),
            },
        }, cancellationToken).ConfigureAwait(false);

        var database = redis.GetDatabase();
        var key = RunsKeyPrefix + name;
        await database.ListLeftPushAsync(key, result.Id).ConfigureAwait(false);
        await database.ListTrimAsync(key, 0, RunsKept - 1).ConfigureAwait(false);
        await database.KeyExpireAsync(key, RunsKeptFor).ConfigureAwait(false);
        return result.Id;
    }
}
