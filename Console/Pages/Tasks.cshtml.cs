using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Onboarding.OperationsConsole.Indexing;

namespace Onboarding.OperationsConsole.Pages;

/// <summary>The task list: filters, search, paging; its table refreshes live.</summary>
public sealed class TasksModel(TaskIndex index) : PageModel
{
    public const int PageSize = 50;

    [BindProperty(SupportsGet = true)] public string? State { get; set; }
    [BindProperty(SupportsGet = true)] public string? Name { get; set; }
    [BindProperty(SupportsGet = true)] public string? Worker { get; set; }
    [BindProperty(SupportsGet = true)] public string? Queue { get; set; }
    [BindProperty(SupportsGet = true)] public DateTimeOffset? From { get; set; }
    [BindProperty(SupportsGet = true)] public DateTimeOffset? To { get; set; }
    [BindProperty(SupportsGet = true)] public string? Q { get; set; }
    [BindProperty(SupportsGet = true, Name = "p")] public int PageNumber { get; set; } = 1;

    public TaskPage Result { get; private set; } = new([], 0, false, 0);
    public IReadOnlyList<string> Names { get; private set; } = [];
    public IReadOnlyList<string> Workers { get; private set; } = [];

    public async Task OnGetAsync()
    {
        PageNumber = Math.Max(PageNumber, 1);
        Result = await index.ListAsync(new TaskQuery
        {
            State = State, Name = Name, Worker = Worker, Queue = Queue, From = From, To = To, Search = Q,
            Offset = (PageNumber - 1) * PageSize, Limit = PageSize,
        });
        (Names, Workers) = await index.GetFacetsAsync();
    }

    public string PageLink(int page) => Url.Page("/Tasks", new { State, Name, Worker, Queue, From, To, Q, p = page })!;
}
