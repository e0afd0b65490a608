using System.Net;
using System.Text;

namespace Onboarding.TaskEngine.Control;

/// <summary>
/// A worker's Celery node name, built as <c>celery worker -n</c> builds it: a name without <c>@</c> gets the
/// <c>celery@</c> prefix (an empty one becomes <c>celery@&lt;host&gt;</c>), then <c>%h</c> (host name), <c>%n</c> (its
/// first label), <c>%d</c> (its domain), <c>%i</c>/<c>%I</c> (process index: one process here, so <c>0</c> and empty)
/// and <c>%%</c> expand.
/// </summary>
internal static class NodeName
{
    public static string Resolve(string? configured) => Resolve(configured, Dns.GetHostName());

    public static string Resolve(string? configured, string host)
    {
        var name = string.IsNullOrWhiteSpace(configured) ? string.Empty : configured.Trim();
        var at = name.IndexOf('@', StringComparison.Ordinal);
        name = at < 0
            ? "celery@" + (name.Length == 0 ? host : name)
            : (at == 0 ? "celery" : name[..at]) + "@" + (at == name.Length - 1 ? host : name[(at + 1)..]);
        return Expand(name, host);
    }

    private static string Expand(string format, string host)
    {
        var dot = host.IndexOf('.', StringComparison.Ordinal);
        var shortName = dot < 0 ? host : host[..dot];
        var domain = dot < 0 ? string.Empty : host[(dot + 1)..];
        var result = new StringBuilder(format.Length + host.Length);
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i == format.Length - 1)
            {
                result.Append(format[i]);
                continue;
            }

            var key = format[++i];
            result.Append(key switch
            {
                'h' => host,
                'n' => shortName,
                'd' => domain,
                'i' => "0",
                'I' => string.Empty,
                '%' => "%",
                _ => "%" + key,
            });
        }

        return result.ToString();
    }
}
