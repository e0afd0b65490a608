namespace Onboarding.TaskEngine.Execution;

/// <summary>What the consumer does with the delivery after <see cref="TaskExecutor.ExecuteAsync"/>.</summary>
internal enum DeliveryOutcome
{
    /// <summary>The consumer acks it now: done, stored, moved to a delay queue or dead-lettered.</summary>
    AckNow,

    /// <summary>Nothing left to do: an acks-early task whose delivery was acked before it ran.</summary>
    AlreadyAcked,

    /// <summary>Nack with requeue: the worker is shutting down and the task did not finish.</summary>
    Requeue,
}
