using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Onboarding.OperationsConsole.Indexing;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Monitoring;
using StackExchange.Redis;
using IndexStates = Onboarding.OperationsConsole.Indexing.TaskStates;

namespace Onboarding.Benchmarks;

/// <summary>
/// C1: the operations console with a full task index. The real console runs as a child process (Release build) on the
/// benchmark's servers, under a key prefix of its own. First, ingestion: a W1-style burst of no-ops through a worker
/// with task events on (and task-sent events from the client, as the application's services send them) while the
/// console reads the event stream; measured is whether the console indexed every task, how far it fell behind the
/// events' rate, and whether it had to drop (and then says it is sampling). Then the index is filled to 100,000 tasks
/// through the console's own index code (<see cref="TaskIndex.ApplyAsync"/>, the ingestion's write path: each task's
/// sent, received, started and succeeded-or-failed events, one in ten failing with a traceback), the console's
/// periodic trim brings it back to its bound, and the pages an operator opens are timed over HTTP with a signed-in
/// client, one request at a time: p50 and p95 per page.
/// </summary>
internal static class ConsoleWorkload
{
    private const string Id = "C1";
    private static readonly TimeSpan LongWait = TimeSpan.FromMinutes(5);
    private static readonly string[] Names =
    [
        "user_service.tasks.send_welcome_email", "user_service.tasks.provision_mailbox", "order_service.tasks.charge_card",
        "order_service.tasks.reserve_stock", "order_service.tasks.ship_order", "notification_service.tasks.send_sms",
        "notification_service.tasks.send_push", "user_service.tasks.rollup_registration_stats",
    ];

    private static readonly string[] Workers = ["user-worker@bench", "order-worker@bench", "notification-worker@bench"];

    private static readonly string Traceback = string.Join('\n', Enumerable.Range(0, 12).Select(i =>
        $"  at Onboarding.Orders.Payments.CardGateway.ChargeAsync(Order order, CancellationToken ct) in /src/OrderService/Payments/CardGateway.cs:line {100 + i}"));

    public static async Task<BenchmarkRow> RunAsync(
        BenchmarkInfrastructure infrastructure, BenchmarkOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var tasks = options.Scale(100_000);
        var burst = options.Scale(20_000);
        var samples = options.Quick ? 10 : 40;
        var prefix = $"bench.c1.{Guid.CreateVersion7().ToString("N")[^8..]}:";
        // Admin mode for INFO cpu, which the page timings read Redis's CPU from.
        var configuration = ConfigurationOptions.Parse(infrastructure.RedisConnectionString);
        configuration.AllowAdmin = true;
        using var redis = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        var index = new TaskIndex(redis, Options.Create(new TaskIndexOptions { KeyPrefix = prefix, MaxTasks = tasks }), TimeProvider.System);
        try
        {
            await using var console = await ConsoleProcess.StartAsync(infrastructure, prefix, tasks, cancellationToken).ConfigureAwait(false);
            var ingestion = await MeasureIngestionAsync(infrastructure, options, console, index, burst, log, cancellationToken).ConfigureAwait(false);
            var (fillRate, sample) = await FillAsync(index, tasks, log, cancellationToken).ConfigureAwait(false);
            // The console trims every 10 s: the burst's tasks go, oldest first, until the bound holds again.
            var trimmed = await WaitAsync(async () => await index.CountAsync().ConfigureAwait(false) <= tasks, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            var held = await index.CountAsync().ConfigureAwait(false);
            await log.WriteLineAsync(FormattableString.Invariant($"  index holds {held:N0} tasks{(trimmed ? " (trimmed to its bound by the console)" : " (the console's trim did not reach the bound within 60 s)")}"))
                .ConfigureAwait(false);

            var pages = await MeasurePagesAsync(console, redis.GetServers()[0], sample, samples, log, cancellationToken).ConfigureAwait(false);
            var worstList = pages.Where(p => p.Page.StartsWith("/tasks?", StringComparison.Ordinal) || p.Page == "/tasks").Max(p => p.P95);
            var taskPage = pages.Single(p => p.Label == "task page").P95;
            var values = new Dictionary<string, double>
            {
                ["tasksIndexed"] = held,
                ["fillEventsPerSecond"] = fillRate,
                ["burstTasks"] = burst,
                ["burstEventsPerSecond"] = ingestion.ProducedRate,
                ["ingestedEventsPerSecond"] = ingestion.IngestedRate,
                ["ingestionLagSeconds"] = ingestion.Lag.TotalSeconds,
                ["eventsDropped"] = ingestion.Dropped,
                ["burstTasksIndexed"] = ingestion.Indexed,
            };
            foreach (var page in pages)
            {
                values[page.Key + "P50Ms"] = page.P50;
                values[page.Key + "P95Ms"] = page.P95;
                values[page.Key + "ConsoleCpuMs"] = page.ConsoleCpuMs;
                values[page.Key + "RedisCpuMs"] = page.RedisCpuMs;
            }

            var keepsUp = ingestion.Dropped == 0 && ingestion.Indexed == burst;
            return new BenchmarkRow
            {
                Id = Id,
                Workload = FormattableString.Invariant(
                    $"Operations console (child process, Release) with {held:N0} tasks in its Redis index: {samples} sequential signed-in HTTP GETs per page; ingestion of a {burst:N0}-task W1 burst with events on"),
                Target = "task list and task page < 200 ms (p95); ingestion keeps up with W1's event rate or the page says it samples",
                Measured = string.Join("; ", pages.Select(p => FormattableString.Invariant($"{p.Label} {p.P50:0.0}/{p.P95:0.0} ms"))) + " (p50/p95); "
                    + FormattableString.Invariant($"ingestion of {ingestion.ProducedRate:N0} events/s: {ingestion.Indexed:N0}/{burst:N0} tasks indexed, {ingestion.Dropped:N0} events dropped, {ingestion.Lag.TotalSeconds:0.0} s behind the worker at the end{(ingestion.Sampling ? ", page says sampling" : string.Empty)}"),
                Pass = worstList < 200 && taskPage < 200 && (keepsUp || ingestion.Sampling),
                Reference = "Flower keeps max_tasks (10,000 by default) in memory only",
                Notes = FormattableString.Invariant(
                    $"Index filled through TaskIndex.ApplyAsync at {fillRate:N0} events/s (4 per task, 256 tasks in flight); ingestion caught up {ingestion.Lag.TotalSeconds:0.0} s after the worker finished. Times include the console's rendering and the loopback round trip. CPU per request, console + Redis: ")
                    + string.Join("; ", pages.Select(p => FormattableString.Invariant($"{p.Label} {p.ConsoleCpuMs:0.0} + {p.RedisCpuMs:0.0} ms"))) + ".",
                Values = values,
            };
        }
        finally
        {
            await RemoveAsync(redis, prefix).ConfigureAwait(false);
        }
    }

    private sealed record Ingestion(double ProducedRate, double IngestedRate, TimeSpan Lag, long Dropped, long Indexed, bool Sampling);

    private static async Task<Ingestion> MeasureIngestionAsync(BenchmarkInfrastructure infrastructure, BenchmarkOptions options, ConsoleProcess console,
        TaskIndex index, int count, TextWriter log, CancellationToken cancellationToken)
    {
        var queue = EngineHost.NewQueueName("c1");
        await using var host = await EngineHost.StartAsync(infrastructure, queue, worker: true, options.Concurrency, cancellationToken, events: true, sentEvents: true)
            .ConfigureAwait(false);
        using var counter = new TaskCounter(queue);
        var dispatcher = host.Services.GetRequiredService<EventDispatcher>();
        // The console binds its event queue when it starts reading: wait until the worker's heartbeats arrive.
        if (!await WaitAsync(async () => (await console.IngestionAsync(cancellationToken).ConfigureAwait(false)).Received > 0, TimeSpan.FromSeconds(60), cancellationToken)
            .ConfigureAwait(false))
        {
            throw new InvalidOperationException("The console received no event within 60 s.");
        }

        var (receivedBefore, droppedBefore, _) = await console.IngestionAsync(cancellationToken).ConfigureAwait(false);
        var publishedBefore = dispatcher.Published;
        var stopwatch = Stopwatch.StartNew();
        await Workloads.ForEachConcurrentAsync(count, options.Publishers, _ =>
            host.Client.SendAsync(DiagnosticTasks.Noop, options: new TaskSendOptions { IgnoreResult = true }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await counter.WaitForAsync(count, LongWait, cancellationToken).ConfigureAwait(false);
        var executed = stopwatch.Elapsed;
        // The worker's events and the client's task-sent (client and worker share this host's event dispatcher).
        var produced = dispatcher.Published - publishedBefore;

        // Indexed: every task of the burst has reached SUCCESS in the index, or nothing moved for 5 s (dropped events).
        long indexed = 0;
        var lastChange = Stopwatch.StartNew();
        while (stopwatch.Elapsed < LongWait)
        {
            var now = (await index.ListAsync(new TaskQuery { State = IndexStates.Success, Limit = 1 }).ConfigureAwait(false)).Total ?? 0;
            if (now != indexed)
            {
                indexed = now;
                lastChange.Restart();
            }

            if (indexed >= count || lastChange.Elapsed > TimeSpan.FromSeconds(5))
            {
                break;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        var caughtUp = stopwatch.Elapsed - (indexed >= count ? TimeSpan.Zero : lastChange.Elapsed);
        var (received, dropped, sampling) = await console.IngestionAsync(cancellationToken).ConfigureAwait(false);
        var ingestion = new Ingestion(produced / executed.TotalSeconds, (received - receivedBefore) / caughtUp.TotalSeconds,
            caughtUp > executed ? caughtUp - executed : TimeSpan.Zero, dropped - droppedBefore, indexed, sampling);
        await log.WriteLineAsync(FormattableString.Invariant(
            $"  burst: {count:N0} tasks in {executed.TotalSeconds:0.00} s, {produced:N0} events ({ingestion.ProducedRate:N0}/s); console indexed {indexed:N0} tasks, read {received - receivedBefore:N0} events, dropped {ingestion.Dropped:N0}, caught up {ingestion.Lag.TotalSeconds:0.0} s after the worker{(sampling ? "; the pages say it samples" : string.Empty)}"))
            .ConfigureAwait(false);
        return ingestion;
    }

    /// <summary>Writes <paramref name="count"/> tasks' events through the index; returns events/s and one task to open.</summary>
    private static async Task<(double Rate, FilledSample Sample)> FillAsync(TaskIndex index, int count, TextWriter log, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        await Workloads.ForEachConcurrentAsync(count, 256, async i =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var celeryEvent in EventsOf(i))
            {
                await index.ApplyAsync(celeryEvent).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
        var rate = 4.0 * count / stopwatch.Elapsed.TotalSeconds;
        await log.WriteLineAsync(FormattableString.Invariant($"  filled {count:N0} tasks ({4 * count:N0} events) in {stopwatch.Elapsed.TotalSeconds:0.0} s = {rate:N0} events/s"))
            .ConfigureAwait(false);
        // A failed task (ids ending in 7) about 10,000 from the newest: its id, and the text only its arguments contain.
        var failed = Math.Max(0, count - 10_000);
        failed += (17 - (failed % 10)) % 10;
        return (rate, new FilledSample(TaskId(failed), OrderNumber(failed), Names[failed % Names.Length]));
    }

    private sealed record FilledSample(string FailedTaskId, string ArgumentText, string FailedTaskName);

    private static string TaskId(int i) => $"c1-{i:D6}-{(uint)(i * 2654435761u):x8}";

    private static string OrderNumber(int i) => $"ORD-{i:D6}";

    /// <summary>One task's life as the fleet reports it; every tenth task (those ending in 7) fails with a traceback.</summary>
    private static IEnumerable<CeleryEvent> EventsOf(int i)
    {
        var id = TaskId(i);
        var name = Names[i % Names.Length];
        var worker = Workers[i % Workers.Length];
        var queue = name.Split('.')[0];
        var args = $"('user-{i}@example.com', {i})";
        var kwargs = $"{{'order': '{OrderNumber(i)}', 'amount': {i % 997}.50}}";
        var failed = i % 10 == 7;
        var at = DateTimeOffset.UtcNow;
        yield return Event(CeleryEventTypes.TaskSent, id, "userservice@bench", at, new() { ["name"] = name, ["args"] = args, ["kwargs"] = kwargs, ["queue"] = queue, ["routing_key"] = queue });
        yield return Event(CeleryEventTypes.TaskReceived, id, worker, at.AddMilliseconds(2), new() { ["name"] = name, ["args"] = args, ["kwargs"] = kwargs, ["retries"] = 0 });
        yield return Event(CeleryEventTypes.TaskStarted, id, worker, at.AddMilliseconds(3), []);
        yield return failed
            ? Event(CeleryEventTypes.TaskFailed, id, worker, at.AddMilliseconds(40), new()
            {
                ["exception"] = $"CardDeclinedException('card declined for {OrderNumber(i)}')", ["traceback"] = Traceback, ["runtime"] = 0.037,
            })
            : Event(CeleryEventTypes.TaskSucceeded, id, worker, at.AddMilliseconds(9), new() { ["result"] = "'ok'", ["runtime"] = 0.006 });
    }

    private static CeleryEvent Event(string type, string id, string host, DateTimeOffset at, Dictionary<string, object?> fields)
    {
        fields["type"] = type;
        fields["uuid"] = id;
        fields["hostname"] = host;
        fields["timestamp"] = at.ToUnixTimeMilliseconds() / 1000.0;
        return new CeleryEvent { Type = type, Hostname = host, Timestamp = at, TaskId = id, Fields = JsonSerializer.SerializeToElement(fields) };
    }

    /// <summary>
    /// One page's latency, and the work behind one request: the console process's CPU and Redis's (the server's own
    /// <c>INFO cpu</c>), which a busy shared machine does not inflate as it inflates the latency.
    /// </summary>
    private sealed record PageTiming(string Label, string Key, string Page, double P50, double P95, double ConsoleCpuMs, double RedisCpuMs);

    private static async Task<List<PageTiming>> MeasurePagesAsync(
        ConsoleProcess console, IServer redis, FilledSample sample, int samples, TextWriter log, CancellationToken cancellationToken)
    {
        var pages = new (string Label, string Key, string Page)[]
        {
            ("task list", "list", "/tasks"),
            ("page 100", "deepPage", "/tasks?p=100"),
            ("state filter", "state", "/tasks?state=FAILURE"),
            ("state+name filter", "stateName", $"/tasks?state=FAILURE&name={Uri.EscapeDataString(sample.FailedTaskName)}"),
            ("search by id", "searchId", $"/tasks?q={sample.FailedTaskId}"),
            ("search by argument", "searchArgs", $"/tasks?q={sample.ArgumentText}"),
            ("search, no match", "searchNone", "/tasks?q=no-such-text"),
            ("task page", "task", $"/tasks/{sample.FailedTaskId}"),
            ("API list", "apiList", "/api/tasks?limit=50"),
        };
        var timings = new List<PageTiming>(pages.Length);
        foreach (var (label, key, page) in pages)
        {
            var elapsed = new double[samples];
            var (consoleCpu, redisCpu) = (TimeSpan.Zero, 0.0);
            for (var i = -3; i < samples; i++)
            {
                if (i == 0)
                {
                    (consoleCpu, redisCpu) = (console.CpuTime(), await RedisCpuMicrosecondsAsync(redis).ConfigureAwait(false));
                }

                var stopwatch = Stopwatch.StartNew();
                using var response = await console.Http.GetAsync(new Uri(page, UriKind.Relative), cancellationToken).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                stopwatch.Stop();
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"{page} answered {(int)response.StatusCode}.");
                }

                // The request found what it looked for, so a fast answer is not an empty one.
                if (i == -3 && key is "searchId" or "searchArgs" or "task" && !body.Contains(sample.FailedTaskId, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"{page} did not show {sample.FailedTaskId}.");
                }

                if (i >= 0)
                {
                    elapsed[i] = stopwatch.Elapsed.TotalMilliseconds;
                }
            }

            var consoleMs = (console.CpuTime() - consoleCpu).TotalMilliseconds / samples;
            var redisMs = (await RedisCpuMicrosecondsAsync(redis).ConfigureAwait(false) - redisCpu) / 1000 / samples;
            var (p50, p95, _) = Workloads.Percentiles(elapsed);
            timings.Add(new PageTiming(label, key, page, p50, p95, consoleMs, redisMs));
            await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  {label,-20} {page,-70} p50 {p50,7:0.0} ms  p95 {p95,7:0.0} ms  per request: console CPU {consoleMs,6:0.0} ms, Redis CPU {redisMs,6:0.0} ms")).ConfigureAwait(false);
        }

        return timings;
    }

    /// <summary>
    /// The CPU the Redis server process has used, in µs (<c>INFO cpu</c>); <c>commandstats</c> would count the commands
    /// a script calls twice, once inside the script's own time.
    /// </summary>
    private static async Task<double> RedisCpuMicrosecondsAsync(IServer redis)
    {
        var info = await redis.InfoRawAsync("cpu").ConfigureAwait(false) ?? string.Empty;
        // Lines read "used_cpu_sys:1.234567" and "used_cpu_user:2.345678" (seconds).
        return info.Split('\n', StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith("used_cpu_sys:", StringComparison.Ordinal) || line.StartsWith("used_cpu_user:", StringComparison.Ordinal))
            .Sum(line => double.Parse(line.AsSpan(line.IndexOf(':', StringComparison.Ordinal) + 1), CultureInfo.InvariantCulture)) * 1_000_000;
    }

    private static async Task<bool> WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < timeout)
        {
            if (await condition().ConfigureAwait(false))
            {
                return true;
            }

            await Task.Delay(250, cancellationToken).ConfigureAwait(false);
        }

        return false;
    }

    /// <summary>Leaves the servers as they were: the index's own trim empties it, then its bookkeeping keys go.</summary>
    private static async Task RemoveAsync(ConnectionMultiplexer redis, string prefix)
    {
        var empty = new TaskIndex(redis, Options.Create(new TaskIndexOptions { KeyPrefix = prefix, MaxTasks = 0 }), TimeProvider.System);
        await empty.TrimAsync(CancellationToken.None).ConfigureAwait(false);
        var database = redis.GetDatabase();
        foreach (var server in redis.GetServers())
        {
            await foreach (var key in server.KeysAsync(pattern: prefix + "*").ConfigureAwait(false))
            {
                await database.KeyDeleteAsync(key).ConfigureAwait(false);
            }
        }

    }
}
