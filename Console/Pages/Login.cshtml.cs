using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using Onboarding.OperationsConsole.Security;

namespace Onboarding.OperationsConsole.Pages;

/// <summary>
/// The login: the password form, or the link the AppHost prints (<c>/login?t=…</c>, as the dashboard's token link),
/// which signs in and removes the password from the address bar by redirecting.
/// </summary>
public sealed class LoginModel(IOptions<ConsoleSecurityOptions> options) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public bool Failed { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? t)
    {
        if (t is null)
        {
            return Page();
        }

        if (!ConsoleSecurity.IsPassword(options.Value, t))
        {
            Failed = true;
            return Page();
        }

        await ConsoleSecurity.SignInOperatorAsync(HttpContext);
        return LocalRedirect(SafeReturnUrl);
    }

    public async Task<IActionResult> OnPostAsync(string? password)
    {
        if (!ConsoleSecurity.IsPassword(options.Value, password))
        {
            Failed = true;
            return Page();
        }

        await ConsoleSecurity.SignInOperatorAsync(HttpContext);
        return LocalRedirect(SafeReturnUrl);
    }

    private string SafeReturnUrl => Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/";
}
