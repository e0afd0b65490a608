using Microsoft.Extensions.Options;
using Onboarding.Contracts;
using Onboarding.OperationsConsole.Fleet;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Control;
using Onboarding.TaskEngine.DependencyInjection;

namespace Onboarding.OperationsConsole.Queues;

/// <summary>
/// Reads the broker's queues for the Queues page and the overview, from the best source it has.
/// </summary>
/// <remarks>
/// AMQP has no command that lists queues or reports rates; RabbitMQ's management plugin does, and may be off (the tests
/// and some deployments turn it off). So: with <c>Console:RabbitMQManagement</c> set (the AppHost sets it when the
/// plugin runs) every queue comes from the management API with its unacknowledged count and its publish and deliver
/// rates. Without it, each queue the console can name (the engine's routes, default and dead-letter queue, the seed's
/// queues, <c>Console:Queues</c>, and whatever the workers consume) is passively declared, which gives ready messages
/// and consumers; unacknowledged messages are counted from the workers' inspect replies (what each holds, delivered
/// and not acknowledged yet), and rates are reported as unavailable rather than guessed.
/// </remarks>
public sealed class QueueMonitor(
    IBrokerQueues broker,
    IWorkerControl control,
    WorkerHeartbeats heartbeats,
    TimeProvider time,
    RabbitMqManagementClient management,
    IOptions<TaskEngineOptions> engine,
    IConfiguration configuration)
{
    /// <summary>
    /// The queues now. Without the management API, <paramref name="inspectWorkers"/> also asks the workers what they
    /// consume and hold (up to 700 ms when one is slow); the overview, refreshed live, goes without.
    /// </summary>
    public async Task<QueueReport> GetQueuesAsync(CancellationToken cancellationToken, bool inspectWorkers = true)
    {
        if (management.IsConfigured)
        {
            try
            {
                var rows = await management.GetQueuesAsync(Kind, cancellationToken).ConfigureAwait(false);
                return new QueueReport("management", Order(rows), []);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                var fallback = await GetFromAmqpAsync(inspectWorkers, cancellationToken).ConfigureAwait(false);
                return fallback with
                {
                    Unavailable = [$"The RabbitMQ management API did not answer ({ex.Message}): showing what AMQP gives.", .. fallback.Unavailable],
                };
            }
        }

        return await GetFromAmqpAsync(inspectWorkers, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Purges a queue's ready messages; null when the broker has no such queue.</summary>
    public async Task<uint?> PurgeAsync(string queue, CancellationToken cancellationToken)
    {
        try
        {
            return await broker.PurgeAsync(queue, cancellationToken).ConfigureAwait(false);
        }
        catch (QueueNotFoundException)
        {
            return null;
        }
    }

    private async Task<QueueReport> GetFromAmqpAsync(bool inspectWorkers, CancellationToken cancellationToken)
    {
        var options = engine.Value;
        IReadOnlyList<WorkerReply<IReadOnlyList<TaskRequestInfo>>> active = [], reserved = [];
        IReadOnlyList<WorkerReply<IReadOnlyList<QueueInfo>>> consumed = [];
        if (inspectWorkers)
        {
            // Collection ends when every node known to be online answered, or after a quiet 700 ms.
            var now = time.GetUtcNow();
            var online = (await heartbeats.GetAllAsync().ConfigureAwait(false)).Count(h => h.IsOnline(now));
            var inspect = new ControlOptions { Timeout = TimeSpan.FromMilliseconds(700), Limit = online > 0 ? online : null };
            var activeTask = control.ActiveAsync(inspect, cancellationToken);
            var reservedTask = control.ReservedAsync(inspect, cancellationToken);
            var consumedTask = control.ActiveQueuesAsync(inspect, cancellationToken);
            await Task.WhenAll(activeTask, reservedTask, consumedTask).ConfigureAwait(false);
            (active, reserved, consumed) = (await activeTask.ConfigureAwait(false), await reservedTask.ConfigureAwait(false), await consumedTask.ConfigureAwait(false));
        }

        var held = active.Concat(reserved)
            .Where(reply => reply.IsSuccess && reply.Value is not null)
            .SelectMany(reply => reply.Value!)
            .Where(request => !request.Acknowledged && request.RoutingKey is not null)
            .GroupBy(request => request.RoutingKey!, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => (long)group.Count(), StringComparer.Ordinal);
        var answered = active.Count(reply => reply.IsSuccess);

        var names = new SortedSet<string>(StringComparer.Ordinal)
        {
            options.DefaultQueue, options.DeadLetterQueue, QueueNames.Users, QueueNames.Orders, QueueNames.Notifications, QueueNames.Default,
        };
        names.UnionWith(options.Routes.Select(route => route.Queue).Where(queue => queue.Length > 0));
        names.UnionWith(options.Queues.Keys);
        names.UnionWith(configuration.GetSection("Console:Queues").Get<string[]>() ?? []);
        names.UnionWith(consumed.Where(reply => reply.IsSuccess && reply.Value is not null)
            .SelectMany(reply => reply.Value!).Select(queue => queue.Name));

        var statuses = await Task.WhenAll(names.Select(name => broker.GetStatusAsync(name, cancellationToken))).ConfigureAwait(false);
        var rows = statuses.OfType<QueueStatus>()
            .Select(status => new QueueRow(status.Name, status.Messages, inspectWorkers ? held.GetValueOrDefault(status.Name) : null,
                status.Consumers, null, null, Kind(status.Name)))
            .ToList();
        return new QueueReport("amqp", Order(rows),
        [
            "Publish and deliver rates: the RabbitMQ management plugin is not configured (Console:RabbitMQManagement), and AMQP reports none.",
            inspectWorkers
                ? $"Unacknowledged: counted from the inspect replies of {answered} worker(s); a worker that did not answer holds messages not counted here."
                : "Unacknowledged: not asked of the workers here (see the Queues page).",
            "Only queues the console can name are listed (routes, the seed's queues, Console:Queues, the workers' queues); delay and event queues need the management API.",
        ]);
    }

    private string Kind(string queue)
    {
        var options = engine.Value;
        if (string.Equals(queue, options.DeadLetterQueue, StringComparison.Ordinal))
        {
            return "dead-letter";
        }

        if (queue.StartsWith(options.DelayQueuePrefix + ".", StringComparison.Ordinal))
        {
            return "delay";
        }

        if (queue.StartsWith("celeryev.", StringComparison.Ordinal) || queue.EndsWith(".events", StringComparison.Ordinal))
        {
            return "events";
        }

        return queue.Contains("pidbox", StringComparison.Ordinal) ? "control" : "work";
    }

    private static List<QueueRow> Order(IEnumerable<QueueRow> rows) =>
    [
        .. rows.OrderBy(row => row.Kind switch { "work" => 0, "dead-letter" => 1, "delay" => 2, "events" => 3, _ => 4 })
            .ThenBy(row => row.Name, StringComparer.Ordinal),
    ];
}
