using Microsoft.AspNetCore.Mvc.RazorPages;
using Onboarding.OperationsConsole.Fleet;
using Onboarding.OperationsConsole.Indexing;
using Onboarding.OperationsConsole.Queues;

namespace Onboarding.OperationsConsole.Pages;

/// <summary>The overview: the fleet at a glance and the task rates of the last half hour.</summary>
public sealed class IndexModel(TaskIndex index, WorkerHeartbeats heartbeats, QueueMonitor queues, TimeProvider time) : PageModel
{
    public IReadOnlyList<WorkerHeartbeat> Workers { get; private set; } = [];
    public IReadOnlyList<(DateTimeOffset Minute, long Succeeded, long Failed, long Retried)> Rates { get; private set; } = [];
    public long TaskCount { get; private set; }
    public DateTimeOffset Now { get; private set; }

    /// <summary>The work queues and the dead-letter queue (ready messages and consumers; no inspect round: the page is live).</summary>
    public IReadOnlyList<QueueRow> Queues { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Queues = [.. (await queues.GetQueuesAsync(cancellationToken, inspectWorkers: false)).Queues.Where(q => q.Kind is "work" or "dead-letter")];
        Now = time.GetUtcNow();
        Workers = await heartbeats.GetAllAsync();
        Rates = await index.GetRatesAsync(30);
        TaskCount = await index.CountAsync();
    }
}
