using Microsoft.AspNetCore.Mvc.RazorPages;
using Onboarding.OperationsConsole.Schedules;
using Onboarding.TaskEngine.Scheduling;

namespace Onboarding.OperationsConsole.Pages;

/// <summary>The periodic tasks the workers declare, their last and next run, the scheduler lease; Run now.</summary>
public sealed class SchedulesModel(ScheduleActions schedules, TimeProvider time) : PageModel
{
    public PeriodicTaskBoardState State { get; private set; } = new([], null, null, null);
    public IReadOnlyDictionary<string, IReadOnlyList<string>> ManualRuns { get; private set; } = new Dictionary<string, IReadOnlyList<string>>();
    public DateTimeOffset Now { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Now = time.GetUtcNow();
        State = await schedules.ReadAsync(cancellationToken);
        ManualRuns = await schedules.ManualRunsAsync(State.Entries.Select(e => e.Name));
    }
}
