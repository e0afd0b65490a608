using Onboarding.TaskEngine.Control;

namespace Onboarding.OperationsConsole.Fleet;

/// <summary>One worker as the Workers page shows it: its heartbeat plus what it answered to inspect.</summary>
public sealed record WorkerView
{
    public required string Node { get; init; }
    public bool Online { get; init; }
    public bool Answered { get; init; }
    public WorkerHeartbeat? Heartbeat { get; init; }
    public int? Concurrency { get; init; }
    public int? PrefetchCount { get; init; }
    public double? Uptime { get; init; }
    public int? Pid { get; init; }
    public long Processed { get; init; }
    public IReadOnlyList<string> Queues { get; init; } = [];
    public IReadOnlyList<TaskRequestInfo> Active { get; init; } = [];
    public IReadOnlyList<TaskRequestInfo> Reserved { get; init; } = [];
    public IReadOnlyList<string> Registered { get; init; } = [];
}
