using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Onboarding.TaskEngine.RateLimits;

/// <summary>A Celery rate string: <c>"100/m"</c>, <c>"10/s"</c>, <c>"5/h"</c> or a bare number (per second).</summary>
public readonly record struct RateLimit(double Tokens, TimeSpan Period)
{
    public double PerSecond => Tokens / Period.TotalSeconds;

    public static RateLimit Parse(string text) =>
        TryParse(text, out var limit) ? limit : throw new FormatException($"'{text}' is not a rate limit like '10/s', '100/m' or '5/h'.");

    public static bool TryParse([NotNullWhen(true)] string? text, out RateLimit limit)
    {
        limit = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var number = slash < 0 ? text : text[..slash];
        var unit = slash < 0 ? "s" : text[(slash + 1)..].Trim();
        if (!double.TryParse(number.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var tokens) || tokens <= 0)
        {
            return false;
        }

        TimeSpan? period = unit switch
        {
            "s" => TimeSpan.FromSeconds(1),
            "m" => TimeSpan.FromMinutes(1),
            "h" => TimeSpan.FromHours(1),
            _ => null,
        };
        if (period is null)
        {
            return false;
        }

        limit = new RateLimit(tokens, period.Value);
        return true;
    }
}
