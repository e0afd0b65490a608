using Microsoft.AspNetCore.Mvc.RazorPages;
using Onboarding.OperationsConsole.DeadLetters;
using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.OperationsConsole.Pages;

/// <summary>The dead-letter queue: each message with its reason and body; replay or discard one, the selected or all.</summary>
public sealed class DeadLettersModel(DeadLetterActions letters) : PageModel
{
    public uint Count { get; private set; }
    public IReadOnlyList<DeadLetter> Letters { get; private set; } = [];

    public async Task OnGetAsync(int? limit, CancellationToken cancellationToken) =>
        (Count, Letters) = await letters.ListAsync(limit ?? 100, cancellationToken);
}
