using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Validation;

/// <summary>
/// One invalid field, shaped as apimachinery's field error: <see cref="Reason"/> is the Status cause type
/// (FieldValueInvalid, FieldValueRequired…), <see cref="Body"/> the cause message without the field path.
/// </summary>
internal sealed record FieldError(string Reason, string Field, string Body)
{
    /// <summary>The whole message as the server prints it: <c>spec.x: Invalid value: "y": detail</c>.</summary>
    public override string ToString() => $"{Field}: {Body}";

    public static FieldError Required(string field, string detail = "") =>
        new("FieldValueRequired", field, WithDetail("Required value", detail));

    public static FieldError Invalid(string field, JsonNode? value, string detail) =>
        new("FieldValueInvalid", field, WithDetail("Invalid value: " + GoFormat.Value(value), detail));

    public static FieldError TypeInvalid(string field, JsonNode? value, string detail) =>
        new("FieldValueTypeInvalid", field, WithDetail("Invalid value: " + GoFormat.Value(value), detail));

    public static FieldError NotSupported(string field, JsonNode? value, IEnumerable<string> supported) =>
        new("FieldValueNotSupported", field,
            "Unsupported value: " + GoFormat.Value(value) + ": supported values: " + string.Join(", ", supported.Select(GoFormat.Quote)));

    public static FieldError TooLong(string field, long max) =>
        new("FieldValueTooLong", field, max >= 0
            ? string.Create(CultureInfo.InvariantCulture, $"Too long: may not be more than {max} {(max == 1 ? "byte" : "bytes")}")
            : "Too long: value is too long");

    public static FieldError TooMany(string field, long actual, long max) =>
        new("FieldValueTooMany", field, string.Create(CultureInfo.InvariantCulture, $"Too many: {actual}: must have at most {max} items"));

    public static FieldError Forbidden(string field, string detail) =>
        new("FieldValueForbidden", field, WithDetail("Forbidden", detail));

    private static string WithDetail(string head, string detail) => detail.Length == 0 ? head : head + ": " + detail;
}

/// <summary>Values printed the way Go's fmt prints them in apimachinery messages (%q for strings, %v for numbers).</summary>
internal static class GoFormat
{
    public static string Value(JsonNode? value)
    {
        if (value is null)
        {
            return "null";
        }

        return value.GetValueKind() switch
        {
            JsonValueKind.String => Quote(value.GetValue<string>()),
            JsonValueKind.Number => Number(value),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            // Go prints maps and slices in its own syntax; JSON says the same thing more readably.
            _ => value.ToJsonString(),
        };
    }

    /// <summary>A JSON number: integers as they are, others as Go's %v prints a float64 (shortest, exponent form from 1e+06).</summary>
    public static string Number(JsonNode value)
    {
        var text = value.ToJsonString();
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return l.ToString(CultureInfo.InvariantCulture);
        }

        return Float(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
    }

    /// <summary>Go's <c>strconv.FormatFloat(f, 'g', -1, 64)</c>: exponent form when the exponent is below -4 or at least 6 (<c>1e+06</c>).</summary>
    public static string Float(double f)
    {
        if (double.IsNaN(f))
        {
            return "NaN";
        }

        if (double.IsInfinity(f))
        {
            return f > 0 ? "+Inf" : "-Inf";
        }

        if (f == 0)
        {
            return "0";
        }

        // "E16" gives 17 significant digits; "R" gives the shortest round-trip form, from which digits and exponent are read.
        var r = Math.Abs(f).ToString("E16", CultureInfo.InvariantCulture);
        var shortest = Math.Abs(f).ToString("R", CultureInfo.InvariantCulture);
        var exp = int.Parse(r[(r.IndexOf('E') + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var digits = new string(shortest.TakeWhile(c => c is not ('E' or 'e')).Where(char.IsAsciiDigit).ToArray()).TrimStart('0').TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        var sign = f < 0 ? "-" : "";
        if (exp < -4 || exp >= 6)
        {
            var mantissa = digits.Length > 1 ? digits[0] + "." + digits[1..] : digits;
            return string.Create(CultureInfo.InvariantCulture, $"{sign}{mantissa}e{(exp < 0 ? "-" : "+")}{Math.Abs(exp):00}");
        }

        return sign + shortest;
    }

    /// <summary>Go's %q: a double-quoted string with backslash escapes.</summary>
    public static string Quote(string s)
    {
        var b = new StringBuilder("\"");
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                default:
                    if (char.IsControl(c))
                    {
                        b.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
                    }
                    else
                    {
                        b.Append(c);
                    }

                    break;
            }
        }

        return b.Append('"').ToString();
    }
}
