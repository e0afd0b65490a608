namespace Onboarding.OperationsConsole.Fleet;

/// <summary>What a worker's last worker event said of it.</summary>
/// <param name="Node">The node name.</param>
/// <param name="LastEvent">worker-online, worker-heartbeat or worker-offline.</param>
/// <param name="At">When it was sent.</param>
/// <param name="Frequency">Seconds between heartbeats.</param>
/// <param name="Active">Tasks running then.</param>
/// <param name="Processed">Tasks processed since it started.</param>
/// <param name="LoadAverage">The host's load averages.</param>
/// <param name="Software">sw_ident sw_ver (sw_sys).</param>
public sealed record WorkerHeartbeat(
    string Node, string LastEvent, DateTimeOffset At, double Frequency, long Active, long Processed, string? LoadAverage, string? Software)
{
    /// <summary>Online when it did not say goodbye and its last heartbeat is recent (Celery: within 2 × freq, at least a few seconds).</summary>
    public bool IsOnline(DateTimeOffset now) =>
        LastEvent != "worker-offline" && now - At < TimeSpan.FromSeconds(Math.Max(Frequency * 2.5, 6));
}
