namespace Onboarding.TaskEngine.DependencyInjection;

/// <summary>One queue's own settings (<c>TaskEngine:Queues:&lt;name&gt;</c>), overriding the engine-wide ones.</summary>
public sealed class QueueSettings
{
    /// <summary>The queue's type; null: <see cref="TaskEngineOptions.QueueType"/>.</summary>
    public QueueType? Type { get; set; }
}
