namespace Onboarding.TaskEngine.Abstractions;

/// <summary>
/// One task's result subscription, shared by every waiter on that id in this process: the backend keeps it from
/// <see cref="IResultBackend.Register"/> until the result arrived or the last waiter gave up.
/// </summary>
internal sealed class ResultRegistration(string key, long createdAt)
{
    private int _started;
    private int _removed;
    private Task? _subscribed;

    public string Key { get; } = key;

    public long CreatedAt { get; } = createdAt;

    public int Waiters;

    public TaskCompletionSource<ResultMeta> Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsRemoved => Volatile.Read(ref _removed) != 0;

    /// <summary>Completes when the backend confirmed the subscription.</summary>
    public Task Subscribed => Volatile.Read(ref _subscribed) ?? WaitForSubscription();

    public bool TryStart() => Interlocked.Exchange(ref _started, 1) == 0;

    public void SetSubscription(Task subscribed) => Volatile.Write(ref _subscribed, subscribed);

    public bool MarkRemoved() => Interlocked.Exchange(ref _removed, 1) == 0;

    // Another thread won TryStart and is about to set the task: spin until it has.
    private Task WaitForSubscription()
    {
        var spin = default(SpinWait);
        Task? subscribed;
        while ((subscribed = Volatile.Read(ref _subscribed)) is null)
        {
            spin.SpinOnce();
        }

        return subscribed;
    }
}
