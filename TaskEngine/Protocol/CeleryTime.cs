using System.Globalization;

namespace Onboarding.TaskEngine.Protocol;

/// <summary>
/// Datetimes as Celery writes and reads them: ISO-8601 with at most six fractional digits (Python's
/// <c>datetime</c> rejects seven), <c>+00:00</c> for header times and naive UTC for <c>date_done</c>.
/// </summary>
public static class CeleryTime
{
    private const string OffsetFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'";
    private const string NaiveFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff";

    /// <summary>Formats an absolute time for the <c>eta</c>/<c>expires</c> headers, e.g. <c>2026-11-25T00:45:41.271500+00:00</c>.</summary>
    public static string FormatHeader(DateTimeOffset value) =>
        value.UtcDateTime.ToString(OffsetFormat, CultureInfo.InvariantCulture);

    /// <summary>Formats <c>date_done</c>: naive UTC with microseconds, e.g. <c>2026-11-25T00:45:51.155166</c>.</summary>
    public static string FormatDateDone(DateTimeOffset value) =>
        value.UtcDateTime.ToString(NaiveFormat, CultureInfo.InvariantCulture);

    /// <summary>Parses Celery's ISO forms (naive means UTC; <c>Z</c> and offsets are honoured).</summary>
    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        if (string.IsNullOrEmpty(text))
        {
            value = default;
            return false;
        }

        return DateTimeOffset.TryParse(
            text,
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
            out value);
    }
}
