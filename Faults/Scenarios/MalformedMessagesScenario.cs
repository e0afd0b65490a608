using System.Diagnostics;
using System.Globalization;
using System.Text;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.RabbitMq;
using RabbitMQ.Client;

namespace Onboarding.Faults.Scenarios;

/// <summary>
/// Malformed messages published raw to a worker's queue, as a buggy or foreign client might send them. Each must end
/// dead-lettered with a reason or stored as a readable FAILURE (or, when it is a valid task after all, run); the
/// worker must stay up; normal tasks sent afterwards from Python must all succeed. The worker's memory is read before
/// and after the 20 MB message.
/// </summary>
internal sealed class MalformedMessagesScenario : IFaultScenario
{
    private const string ValidEmbed = """{"callbacks": null, "errbacks": null, "chain": null, "chord": null}""";

    public string Id => "malformed";

    // MaySucceed: a message that is a valid task after all (its id only in correlation_id, as Celery sets it).
    private sealed record Case(string Name, string? TaskId, Func<ScenarioContext, string, CancellationToken, Task> PublishAsync, bool MaySucceed = false);

    public async Task<IReadOnlyList<FaultOutcome>> RunAsync(FaultRun run, CancellationToken cancellationToken)
    {
        await using var context = await run.StartScenarioAsync("malformed", cancellationToken, concurrency: 4).ConfigureAwait(false);
        var worker = context.StartWorker();
        await context.WaitForConsumersAsync(1, cancellationToken).ConfigureAwait(false);
        var before = await SampleResidentAsync(worker, cancellationToken).ConfigureAwait(false);

        var cases = Cases();
        foreach (var item in cases)
        {
            await item.PublishAsync(context, item.Name, cancellationToken).ConfigureAwait(false);
        }

        await context.WriteAsync($"published {cases.Count} malformed messages").ConfigureAwait(false);
        var outcomes = await ResolveAsync(context, cases, cancellationToken).ConfigureAwait(false);
        var after = await SampleResidentAsync(worker, cancellationToken).ConfigureAwait(false);
        var memory = $"worker RSS {Megabytes(before)} before, {Megabytes(after)} after the battery (20 MB message included)";
        await context.WriteAsync(memory).ConfigureAwait(false);
        foreach (var (name, outcome) in outcomes)
        {
            await context.WriteAsync($"{name}: {outcome ?? "NOTHING (lost)"}").ConfigureAwait(false);
        }

        var normal = ScenarioContext.NewIds(run.Options.Pick(500, 100));
        await using var monitor = new ResultMonitor(context.Driver.Redis, normal);
        await context.SendFromPythonAsync(normal, DiagnosticTasks.Record, "[0.01]", null, cancellationToken).ConfigureAwait(false);
        var row = await context.CountAsync(normal, monitor, null, string.Empty, cancellationToken).ConfigureAwait(false);
        var resolved = outcomes.Count(o => o.Outcome is not null);
        var mishandled = cases.Zip(outcomes)
            .Where(pair => !pair.First.MaySucceed && pair.Second.Outcome?.StartsWith("SUCCESS", StringComparison.Ordinal) == true)
            .Select(pair => pair.First.Name)
            .ToList();
        return
        [
            row with
            {
                Scenario = $"malformed battery ({cases.Count} messages), then {normal.Count} normal tasks",
                Sent = row.Sent + cases.Count,
                Succeeded = row.Succeeded + outcomes.Count(o => o.Outcome?.StartsWith("SUCCESS", StringComparison.Ordinal) == true),
                Lost = row.Lost + (cases.Count - resolved),
                DeadLettered = row.DeadLettered + outcomes.Count(o => o.Outcome?.Contains("dead-lettered", StringComparison.Ordinal) == true),
                WorkerExits = context.WorkerExits,
                Mishandled = mishandled.Count,
                Notes = string.Join("; ", new[] { memory, mishandled.Count > 0 ? "RUN AS VALID TASKS: " + string.Join(", ", mishandled) : string.Empty, string.Join(", ", outcomes.Select(o => $"{o.Name}: {o.Outcome ?? "nothing"}")), row.Notes }.Where(n => n.Length > 0)),
            },
        ];
    }

    private static List<Case> Cases()
    {
        string NewId() => Guid.NewGuid().ToString();
        var cases = new List<Case>();
        void Add(string name, Func<string, (byte[] Body, Dictionary<string, object?>? Headers, string ContentType, string? CorrelationId)> message, bool hasId = true, bool maySucceed = false)
        {
            var id = NewId();
            cases.Add(new Case(name, hasId ? id : null, (context, messageId, ct) =>
            {
                var (body, headers, contentType, correlationId) = message(id);
                return PublishAsync(context, messageId, body, headers, contentType, correlationId, ct);
            }, maySucceed));
        }

        Add("invalid JSON", id => (Utf8("{not json"), Headers(DiagnosticTasks.Echo, id), "application/json", id));
        Add("wrong shape", id => (Utf8("""{"args": [1]}"""), Headers(DiagnosticTasks.Echo, id), "application/json", id));
        Add("unknown task", id => (Body("[1]"), Headers("faults.no_such_task", id), "application/json", id));
        Add("no headers", _ => (Body("[1]"), null, "application/json", null), hasId: false);
        Add("id without task", id => (Body("[1]"), new() { ["lang"] = "py", ["id"] = id }, "application/json", id));
        Add("task without id", _ => (Body("[1]"), new() { ["lang"] = "py", ["task"] = DiagnosticTasks.Echo }, "application/json", null), hasId: false);
        Add("id only in correlation_id", id => (Body("[1]"), new() { ["lang"] = "py", ["task"] = DiagnosticTasks.Echo }, "application/json", id), maySucceed: true);
        Add("pickle content type", id => ([0x80, 0x04, 0x95, 0x05, 0x00, 0x2e], Headers(DiagnosticTasks.Echo, id), "application/x-python-serialize", id));
        Add("20 MB body", id => (Body("[\"" + new string('x', 20 * 1024 * 1024) + "\"]"), Headers(DiagnosticTasks.Echo, id), "application/json", id));
        Add("non-UTF-8 body", id => ([.. Utf8("[[\""), 0xff, 0xfe, 0xfd, .. Utf8("\"], {}, " + ValidEmbed + "]")], Headers(DiagnosticTasks.Echo, id), "application/json", id));
        Add("wrong argument types", id => (Body("""["a", {}]"""), Headers(DiagnosticTasks.Add, id), "application/json", id));

        // py-amqp writes an int beyond ±2^31 as a signed 64-bit 'L' field, which RabbitMQ.Client cannot read: published
        // through the engine's raw AMQP writer, as a Python client would.
        var bigId = NewId();
        cases.Add(new Case("64-bit int header", bigId, async (context, messageId, ct) =>
        {
            await using var raw = await RawAmqpConnection.OpenAsync(new Uri(context.Servers.RabbitMqConnectionString), ct).ConfigureAwait(false);
            var headers = Headers(DiagnosticTasks.Echo, bigId);
            headers["sent_at_ms"] = new AmqpLongLongL(1_795_567_551_151L);
            await raw.PublishAsync(context.Queue, new RawAmqpProperties
            {
                ContentType = "application/json",
                ContentEncoding = "utf-8",
                CorrelationId = bigId,
                MessageId = messageId,
                Headers = headers,
            }, Body("[1]"), ct).ConfigureAwait(false);
        }));
        return cases;
    }

    private static Dictionary<string, object?> Headers(string task, string id) => new()
    {
        ["lang"] = "py",
        ["task"] = task,
        ["id"] = id,
        ["root_id"] = id,
        ["parent_id"] = null,
        ["group"] = null,
        ["retries"] = 0,
        ["eta"] = null,
        ["expires"] = null,
        ["timelimit"] = new List<object?> { null, null },
        ["argsrepr"] = "()",
        ["kwargsrepr"] = "{}",
        ["origin"] = "faults",
    };

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Body(string args) => Utf8($"[{args}, {{}}, {ValidEmbed}]");

    private static async Task PublishAsync(
        ScenarioContext context, string messageId, byte[] body, Dictionary<string, object?>? headers, string contentType, string? correlationId, CancellationToken cancellationToken)
    {
        await using var channel = await context.Connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken).ConfigureAwait(false);
        var properties = new BasicProperties
        {
            ContentType = contentType,
            ContentEncoding = "utf-8",
            DeliveryMode = DeliveryModes.Persistent,
            CorrelationId = correlationId,
            // The dead-letter copy keeps the message id: that is how each dead letter is matched to its case.
            MessageId = messageId,
            Headers = headers,
        };
        await channel.BasicPublishAsync(string.Empty, context.Queue, mandatory: true, properties, body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What became of each case: its dead letter's reason and/or its stored state; null when nothing.</summary>
    private static async Task<List<(string Name, string? Outcome)>> ResolveAsync(ScenarioContext context, List<Case> cases, CancellationToken cancellationToken)
    {
        var letters = new List<DeadLetter>();
        var results = new Dictionary<string, StoredResult>(StringComparer.Ordinal);
        var ids = cases.Select(c => c.TaskId).OfType<string>().ToList();
        var elapsed = Stopwatch.StartNew();
        List<(string, string?)> outcomes;
        TimeSpan? settledSince = null;
        while (true)
        {
            letters.AddRange(await context.DrainDeadLettersAsync(cancellationToken).ConfigureAwait(false));
            await using (var monitor = new ResultMonitor(context.Driver.Redis, ids))
            {
                await monitor.WaitForFreshPollAsync(cancellationToken).ConfigureAwait(false);
                foreach (var (id, result) in monitor.Results)
                {
                    results[id] = result;
                }
            }

            outcomes = [.. cases.Select(c => (c.Name, Describe(c, letters, results)))];
            if (elapsed.Elapsed > TimeSpan.FromSeconds(60))
            {
                return outcomes;
            }

            // Every case has an outcome; a dead letter may still follow a stored FAILURE.
            settledSince ??= outcomes.All(o => o.Item2 is not null) ? elapsed.Elapsed : null;
            if (settledSince is { } since && elapsed.Elapsed - since > TimeSpan.FromSeconds(2))
            {
                return outcomes;
            }

            await Task.Delay(250, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string? Describe(Case item, List<DeadLetter> letters, Dictionary<string, StoredResult> results)
    {
        var parts = new List<string>();
        if (item.TaskId is { } id && results.TryGetValue(id, out var result))
        {
            parts.Add(result.Status == "SUCCESS" ? "SUCCESS" : $"{result.Status} {result.ExceptionType}");
        }

        if (letters.FirstOrDefault(l => l.MessageId == item.Name || (item.TaskId is not null && l.TaskId == item.TaskId)) is { } letter)
        {
            parts.Add($"dead-lettered `{letter.Reason ?? "no reason"}`");
        }

        return parts.Count == 0 ? null : string.Join(" + ", parts);
    }

    private static async Task<long> SampleResidentAsync(FaultWorker worker, CancellationToken cancellationToken)
    {
        long peak = 0;
        for (var i = 0; i < 8; i++)
        {
            peak = Math.Max(peak, worker.ResidentBytes());
            await Task.Delay(250, cancellationToken).ConfigureAwait(false);
        }

        return peak;
    }

    private static string Megabytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):0} MB");
}
