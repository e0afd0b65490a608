using System.Net;
using System.Text.RegularExpressions;

namespace Onboarding.Tests.OperationsConsole;

/// <summary>
/// Submits one of a console page's action forms as the browser would: the page is loaded, the form is found by its
/// action, and its hidden fields (the antiforgery token, the return address) are posted with the operator's input.
/// A form the page does not render cannot be submitted, so a test also shows the page offers the action.
/// </summary>
internal static partial class PageForms
{
    /// <summary>Posts the form; returns where the console sent the browser (its notice or error is in the query).</summary>
    public static async Task<Uri> SubmitAsync(
        HttpClient client, string page, string action, IReadOnlyDictionary<string, string>? fields, CancellationToken cancellationToken)
    {
        var html = await client.GetStringAsync(new Uri(page, UriKind.Relative), cancellationToken);
        var form = FormWith(html, action) ?? throw new InvalidOperationException($"{page} has no form posting to {action}.");
        var values = HiddenInput().Matches(form)
            .Select(m => (Name: Attribute(m.Value, "name"), Value: Attribute(m.Value, "value")))
            .Where(f => f.Name is not null)
            .ToDictionary(f => f.Name!, f => f.Value ?? string.Empty, StringComparer.Ordinal);
        foreach (var (name, value) in fields ?? new Dictionary<string, string>())
        {
            values[name] = value;
        }

        using var response = await client.PostAsync(new Uri(action, UriKind.Relative), new FormUrlEncodedContent(values), cancellationToken);
        return response.StatusCode == HttpStatusCode.Redirect
            ? response.Headers.Location!
            : throw new InvalidOperationException($"{action} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }

    /// <summary>Whether the page currently renders a form posting to <paramref name="action"/>.</summary>
    public static async Task<bool> OffersAsync(HttpClient client, string page, string action, CancellationToken cancellationToken) =>
        FormWith(await client.GetStringAsync(new Uri(page, UriKind.Relative), cancellationToken), action) is not null;

    /// <summary>The notice (or error) a form action redirected with.</summary>
    public static string Notice(Uri location)
    {
        var query = location.OriginalString.Split('?', 2) is [_, var q] ? q : string.Empty;
        foreach (var pair in query.Split('&'))
        {
            if (pair.Split('=', 2) is [var key, var value] && key is "notice" or "error")
            {
                return $"{key}: {Uri.UnescapeDataString(value)}";
            }
        }

        return string.Empty;
    }

    private static string? FormWith(string html, string action)
    {
        foreach (Match form in Form().Matches(html))
        {
            if (WebUtility.HtmlDecode(Attribute(form.Groups["open"].Value, "action") ?? string.Empty) == action)
            {
                return form.Value;
            }
        }

        return null;
    }

    private static string? Attribute(string tag, string name)
    {
        var match = Regex.Match(tag, $"\\b{name}=\"([^\"]*)\"", RegexOptions.CultureInvariant);
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : null;
    }

    [GeneratedRegex("(?<open><form\\b[^>]*>).*?</form>", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Form();

    [GeneratedRegex("<input\\b[^>]*\\btype=\"hidden\"[^>]*>", RegexOptions.CultureInvariant)]
    private static partial Regex HiddenInput();
}
