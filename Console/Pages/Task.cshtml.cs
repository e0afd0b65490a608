using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Onboarding.OperationsConsole.Indexing;

namespace Onboarding.OperationsConsole.Pages;

/// <summary>One task: everything its events said, its family, and the actions on it.</summary>
public sealed class TaskModel(TaskIndex index) : PageModel
{
    public TaskRecord Task { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(string id)
    {
        if (await index.GetAsync(id) is not { } task)
        {
            return NotFound();
        }

        Task = task;
        return Page();
    }
}
