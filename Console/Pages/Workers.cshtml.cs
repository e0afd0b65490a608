using Microsoft.AspNetCore.Mvc.RazorPages;
using Onboarding.OperationsConsole.Fleet;

namespace Onboarding.OperationsConsole.Pages;

/// <summary>The fleet: every node's heartbeat and inspect answers, and the remote control actions.</summary>
public sealed class WorkersModel(FleetInspector fleet) : PageModel
{
    public IReadOnlyList<WorkerView> Workers { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) => Workers = await fleet.GetWorkersAsync(cancellationToken);
}
