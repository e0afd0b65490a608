using System.Text.Json;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Workflows;

namespace Onboarding.Faults.Scenarios;

/// <summary>
/// A chord of <c>diagnostics.record(0.5)</c> parts (long enough that the faults hit a running header) with a
/// <c>diagnostics.xsum</c> callback, under two worker kills or a 2 s Redis outage. The callback goes to a queue nobody
/// consumes until the header is done, so the number of messages there is the number of times it was sent; then a
/// worker runs it and its stored value is checked.
/// </summary>
internal sealed class ChordScenario(string id, bool redisBlip) : IFaultScenario
{
    private const double PartSeconds = 0.5;

    public string Id => id;

    public async Task<IReadOnlyList<FaultOutcome>> RunAsync(FaultRun run, CancellationToken cancellationToken)
    {
        var size = run.Options.Pick(300, 100);
        var name = redisBlip ? $"chord of {size}, Redis stopped 2 s" : $"chord of {size}, 2 worker SIGKILLs";
        await using var context = await run.StartScenarioAsync(redisBlip ? "chord-redis" : "chord-kill", cancellationToken, concurrency: 4).ConfigureAwait(false);
        var bodyQueue = context.Queue + ".body";
        await using (var channel = await context.Connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            // As the engine declares a task queue, so the callback's publish finds it.
            await channel.QueueDeclareAsync(bodyQueue, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        var workers = Enumerable.Range(0, LoadScenario.Workers).Select(_ => context.StartWorker()).ToList();
        await context.WaitForConsumersAsync(workers.Count, cancellationToken).ConfigureAwait(false);

        var header = Enumerable.Range(0, size).Select(_ => (Signature)Signature.Create(DiagnosticTasks.Record, PartSeconds)).ToArray();
        var body = Signature.Create(DiagnosticTasks.Xsum).WithOptions(o => o with { Queue = bodyQueue });
        var chord = await context.Driver.Workflows.ApplyAsync(Chord.Of(header, body), cancellationToken).ConfigureAwait(false);
        var parts = ((GroupResult)chord.Parent!).Children.Select(c => c.Id).ToList();
        await context.WriteAsync($"applied a chord of {size} parts, callback {chord.Id}").ConfigureAwait(false);

        TimeSpan? recover = null;
        await using (var monitor = new ResultMonitor(context.Driver.Redis, parts))
        {
            if (redisBlip)
            {
                await UntilAsync(() => monitor.Succeeded >= size * 0.3, cancellationToken).ConfigureAwait(false);
                await run.Servers.StopRedisAsync(cancellationToken).ConfigureAwait(false);
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
                await run.Servers.StartRedisAsync(cancellationToken).ConfigureAwait(false);
                recover = await monitor.WaitForCompletionAfterAsync(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                foreach (var (share, victim) in new[] { (0.25, 0), (0.6, 1) })
                {
                    await UntilAsync(() => monitor.Succeeded >= size * share, cancellationToken).ConfigureAwait(false);
                    await workers[victim].KillAsync().ConfigureAwait(false);
                    workers[victim] = context.StartWorker();
                    var back = await context.WaitForConsumersAsync(workers.Count, cancellationToken).ConfigureAwait(false);
                    recover = recover > back ? recover : back;
                }
            }

            await monitor.WaitUntilSettledAsync(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5), () => 0, cancellationToken).ConfigureAwait(false);
        }

        // The header is done; give a duplicate callback every chance to show up before counting.
        await UntilAsync(async () => await context.ReadyCountAsync(cancellationToken: cancellationToken).ConfigureAwait(false) == 0, cancellationToken).ConfigureAwait(false);
        await UntilAsync(async () => await CountBodiesAsync(context, bodyQueue, cancellationToken).ConfigureAwait(false) > 0, cancellationToken, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        var sent = await CountBodiesAsync(context, bodyQueue, cancellationToken).ConfigureAwait(false);

        // Now a worker runs the callback, once, and its value is checked.
        context.AddQueue(bodyQueue);
        context.StartWorker();
        var expected = Enumerable.Repeat(PartSeconds, size).Sum();
        await using var all = new ResultMonitor(context.Driver.Redis, [.. parts, chord.Id]);
        var outcome = await context.CountAsync([.. parts, chord.Id], all, recover, string.Empty, cancellationToken).ConfigureAwait(false);
        var value = all.Results.TryGetValue(chord.Id, out var callback) && callback.Status == "SUCCESS" && callback.Result.ValueKind == JsonValueKind.Number
            ? callback.Result.GetDouble()
            : (double?)null;
        var correct = value is { } v && Math.Abs(v - expected) < 1e-6;
        var note = $"callback sent {sent}×, value {(value is { } x ? x.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) : "none")} (expected {expected:0.###}{(correct ? ", correct" : ", WRONG")})";
        await context.WriteAsync(note).ConfigureAwait(false);
        return
        [
            outcome with
            {
                Scenario = name,
                DuplicateCallbacks = Math.Max(0, (int)sent - 1),
                Notes = string.Join("; ", new[] { note, outcome.Notes }.Where(n => n.Length > 0)),
                // A callback that succeeded with the wrong value is as wrong as a FAILURE.
                WronglyFailed = outcome.WronglyFailed + (callback is { Status: "SUCCESS" } && !correct ? 1 : 0),
            },
        ];
    }

    private static async Task<uint> CountBodiesAsync(ScenarioContext context, string queue, CancellationToken cancellationToken)
    {
        try
        {
            return await context.ReadyCountAsync(queue, cancellationToken).ConfigureAwait(false);
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;   // not declared yet: the callback was never sent
        }
    }

    private static Task UntilAsync(Func<bool> condition, CancellationToken cancellationToken) =>
        UntilAsync(() => Task.FromResult(condition()), cancellationToken);

    private static async Task UntilAsync(Func<Task<bool>> condition, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition().ConfigureAwait(false) && elapsed.Elapsed < (timeout ?? TimeSpan.FromMinutes(3)))
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }
}
