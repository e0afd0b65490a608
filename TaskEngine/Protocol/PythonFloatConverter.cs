using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Onboarding.TaskEngine.Protocol;

/// <summary>
/// Writes a <see cref="double"/> the way Python's <c>json.dumps</c> writes a float (its <c>repr</c>): the shortest
/// digits that round-trip, always with a fraction or an exponent, so <c>1.0</c> stays <c>1.0</c> and is read back as
/// a float by a Python client (System.Text.Json would write <c>1</c>, which Python reads as an int). Fixed notation
/// while the decimal exponent is in [-4, 16), scientific outside it (<c>1e+16</c>, <c>1.5e-05</c>). Reading is
/// unchanged.
/// </summary>
internal sealed class PythonFloatConverter : JsonConverter<double>
{
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && (options.NumberHandling & JsonNumberHandling.AllowReadingFromString) != 0
            ? double.Parse(reader.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture)
            : reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (!double.IsFinite(value))
        {
            // Not JSON: let the writer raise its usual error.
            writer.WriteNumberValue(value);
            return;
        }

        writer.WriteRawValue(Format(value), skipInputValidation: true);
    }

    /// <summary>Python's <c>repr(float)</c> of a finite value.</summary>
    internal static string Format(double value)
    {
        // "R" gives the shortest round-trip digits, as "-1.2345E-05", "123.45" or "1E+16".
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = text.StartsWith('-');
        var start = negative ? 1 : 0;
        var exponentAt = text.IndexOf('E', StringComparison.Ordinal);
        var mantissa = exponentAt < 0 ? text.AsSpan(start) : text.AsSpan(start, exponentAt - start);
        var exponent = exponentAt < 0 ? 0 : int.Parse(text.AsSpan(exponentAt + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

        // digits × 10^(point - digits.Length): the significant digits and where the decimal point falls among them.
        var dot = mantissa.IndexOf('.');
        var digits = dot < 0 ? mantissa.ToString() : string.Concat(mantissa[..dot], mantissa[(dot + 1)..]);
        var point = (dot < 0 ? mantissa.Length : dot) + exponent;
        var leadingZeros = 0;
        while (leadingZeros < digits.Length - 1 && digits[leadingZeros] == '0')
        {
            leadingZeros++;
        }

        digits = digits[leadingZeros..];
        point -= leadingZeros;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
            point = 1;
        }

        var builder = new System.Text.StringBuilder(digits.Length + 8);
        if (negative)
        {
            builder.Append('-');
        }

        if (point is > -4 and <= 16)
        {
            if (point <= 0)
            {
                builder.Append("0.").Append('0', -point).Append(digits);
            }
            else if (point < digits.Length)
            {
                builder.Append(digits, 0, point).Append('.').Append(digits, point, digits.Length - point);
            }
            else
            {
                builder.Append(digits).Append('0', point - digits.Length).Append(".0");
            }
        }
        else
        {
            builder.Append(digits[0]);
            if (digits.Length > 1)
            {
                builder.Append('.').Append(digits, 1, digits.Length - 1);
            }

            var scientific = point - 1;
            builder.Append('e').Append(scientific < 0 ? '-' : '+')
                .Append(Math.Abs(scientific).ToString("00", CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }
}
