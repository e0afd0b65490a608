using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Onboarding.OperationsConsole.Indexing;
using Onboarding.TaskEngine.Workflows;

namespace Onboarding.OperationsConsole.Pages;

/// <summary>A workflow as a live tree, found from any of its tasks (or a service's workflow id, e.g. an onboarding's).</summary>
public sealed class WorkflowModel(TaskIndex index, IWorkflowStatusReader workflows) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Id { get; set; }

    public WorkflowTree? Tree { get; private set; }

    public IReadOnlyDictionary<string, int> Counts { get; private set; } = new Dictionary<string, int>();

    public async Task<IActionResult> OnGetAsync(string? id, CancellationToken cancellationToken)
    {
        id = id?.Trim();
        if (string.IsNullOrEmpty(id))
        {
            return Page();
        }

        Tree = await WorkflowLookup.FindAsync(index, workflows, id, cancellationToken);
        if (Tree is not null)
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            void Count(WorkflowNode node)
            {
                var state = node.State.ToString().ToUpperInvariant();
                counts[state] = counts.GetValueOrDefault(state) + 1;
                foreach (var child in node.Children)
                {
                    Count(child);
                }
            }

            Count(Tree.Root);
            Counts = counts;
        }

        return Page();
    }
}
