using System.Collections.Concurrent;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.TaskEngine.Execution;

/// <summary>A task this worker is running, as remote control lists it.</summary>
internal sealed record ActiveRequest(TaskMessage Message, TaskDelivery Delivery, DateTimeOffset StartedAt, bool Acknowledged);

/// <summary>
/// What this worker holds, for remote control (<c>active</c>, <c>reserved</c>, <c>query_task</c>, <c>stats</c>) and
/// heartbeats: deliveries received but not started, tasks running, and tasks started since start by name (Celery's
/// <c>total</c> and <c>processed</c>). Updated on the task path with one dictionary write each way.
/// </summary>
internal sealed class WorkerState(TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<TaskDelivery, byte> _reserved = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentDictionary<string, ActiveRequest> _active = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _total = new(StringComparer.Ordinal);
    private long _processed;

    public DateTimeOffset StartedAt { get; } = timeProvider.GetUtcNow();

    public int ActiveCount => _active.Count;

    public long Processed => Interlocked.Read(ref _processed);

    public void Reserve(TaskDelivery delivery) => _reserved.TryAdd(delivery, 0);

    public void Unreserve(TaskDelivery delivery) => _reserved.TryRemove(delivery, out _);

    public void Start(TaskMessage message, TaskDelivery delivery, bool acknowledged)
    {
        _active[message.Id] = new ActiveRequest(message, delivery, timeProvider.GetUtcNow(), acknowledged);
        _total.AddOrUpdate(message.Name, 1, static (_, n) => n + 1);
        Interlocked.Increment(ref _processed);
    }

    public void Finish(string taskId) => _active.TryRemove(taskId, out _);

    public IReadOnlyCollection<ActiveRequest> Active => [.. _active.Values];

    public IReadOnlyCollection<TaskDelivery> Reserved => [.. _reserved.Keys];

    public IReadOnlyDictionary<string, long> Total => new Dictionary<string, long>(_total, StringComparer.Ordinal);

    public bool TryGetActive(string taskId, out ActiveRequest request) => _active.TryGetValue(taskId, out request!);
}
