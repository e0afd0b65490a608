using Microsoft.AspNetCore.Mvc.RazorPages;
using Onboarding.OperationsConsole.Queues;

namespace Onboarding.OperationsConsole.Pages;

/// <summary>The broker's queues: depth, ready and unacknowledged messages, consumers, rates; purge.</summary>
public sealed class QueuesModel(QueueMonitor queues) : PageModel
{
    public QueueReport Report { get; private set; } = new("amqp", [], []);

    public async Task OnGetAsync(CancellationToken cancellationToken) => Report = await queues.GetQueuesAsync(cancellationToken);
}
