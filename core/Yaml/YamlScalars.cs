using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Runai.Core.Yaml;

/// <summary>YAML 1.2 core-schema resolution of scalars to JSON values, and the reverse check for writing.</summary>
internal static partial class YamlScalars
{
    public const string StrTag = "tag:yaml.org,2002:str";
    public const string IntTag = "tag:yaml.org,2002:int";
    public const string FloatTag = "tag:yaml.org,2002:float";
    public const string BoolTag = "tag:yaml.org,2002:bool";
    public const string NullTag = "tag:yaml.org,2002:null";

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex DecimalInteger();

    [GeneratedRegex("^0o[0-7]+$")]
    private static partial Regex OctalInteger();

    [GeneratedRegex("^0x[0-9a-fA-F]+$")]
    private static partial Regex HexInteger();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();

    [GeneratedRegex(@"^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$")]
    private static partial Regex NonFinite();

    public static bool IsNull(string text) => text is "" or "~" or "null" or "Null" or "NULL";

    public static bool? AsBool(string text) => text switch
    {
        "true" or "True" or "TRUE" => true,
        "false" or "False" or "FALSE" => false,
        _ => null,
    };

    /// <summary>Resolves a plain (unquoted, untagged) scalar. Returns an error text for values JSON cannot hold.</summary>
    public static JsonNode? ResolvePlain(string text, out string? error)
    {
        error = null;
        if (IsNull(text))
        {
            return null;
        }
        if (AsBool(text) is { } flag)
        {
            return JsonValue.Create(flag);
        }
        if (TryInteger(text, out var integer))
        {
            return integer;
        }
        if (Float().IsMatch(text))
        {
            return FloatValue(text, out error);
        }
        if (NonFinite().IsMatch(text))
        {
            error = $"'{text}' is not a finite number, which JSON cannot represent; quote it to keep it as a string";
            return null;
        }
        return JsonValue.Create(text);
    }

    /// <summary>Resolves a scalar with an explicit tag (<c>!!str</c>, <c>!!int</c>, …).</summary>
    public static JsonNode? ResolveTagged(string tag, string text, out string? error)
    {
        error = null;
        switch (tag)
        {
            case "!":
            case StrTag:
                return JsonValue.Create(text);
            case NullTag:
                if (!IsNull(text))
                {
                    error = $"'{text}' is tagged !!null but is not a null value";
                }
                return null;
            case BoolTag:
                if (AsBool(text) is { } flag)
                {
                    return JsonValue.Create(flag);
                }
                error = $"'{text}' is tagged !!bool but is not true or false";
                return null;
            case IntTag:
                if (TryInteger(text, out var integer))
                {
                    return integer;
                }
                error = $"'{text}' is tagged !!int but is not an integer";
                return null;
            case FloatTag:
                if (TryInteger(text, out var whole))
                {
                    return whole;
                }
                if (Float().IsMatch(text))
                {
                    return FloatValue(text, out error);
                }
                error = $"'{text}' is tagged !!float but is not a finite number";
                return null;
            default:
                error = $"unsupported tag '{tag}'";
                return null;
        }
    }

    /// <summary>True when a string written plain would be read back as something other than that string.</summary>
    public static bool NeedsQuotes(string text) =>
        IsNull(text) || AsBool(text) is not null || DecimalInteger().IsMatch(text) || OctalInteger().IsMatch(text)
        || HexInteger().IsMatch(text) || Float().IsMatch(text) || NonFinite().IsMatch(text)
        || text == "<<"
        // YAML 1.1 readers (go-yaml v2, so kubectl) read these as booleans.
        || text is "y" or "Y" or "yes" or "Yes" or "YES" or "n" or "N" or "no" or "No" or "NO"
            or "on" or "On" or "ON" or "off" or "Off" or "OFF";

    private static bool TryInteger(string text, out JsonNode? value)
    {
        value = null;
        BigInteger number;
        if (DecimalInteger().IsMatch(text))
        {
            number = BigInteger.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }
        else if (OctalInteger().IsMatch(text))
        {
            number = 0;
            foreach (var digit in text[2..])
            {
                number = number * 8 + (digit - '0');
            }
        }
        else if (HexInteger().IsMatch(text))
        {
            // A leading 0 keeps BigInteger from reading the top bit as a sign.
            number = BigInteger.Parse("0" + text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        }
        else
        {
            return false;
        }
        value = Number(number.ToString(CultureInfo.InvariantCulture));
        return true;
    }

    private static JsonNode? FloatValue(string text, out string? error)
    {
        error = null;
        var json = ToJsonNumberText(text);
        if (!double.IsFinite(double.Parse(json, NumberStyles.Float, CultureInfo.InvariantCulture)))
        {
            error = $"'{text}' is too large for a JSON number";
            return null;
        }
        return Number(json);
    }

    /// <summary>YAML allows <c>+1</c>, <c>.5</c>, <c>1.</c> and leading zeros; JSON does not.</summary>
    private static string ToJsonNumberText(string text)
    {
        var negative = text.StartsWith('-');
        var body = text.TrimStart('+', '-');
        var exponentAt = body.IndexOfAny(['e', 'E']);
        var mantissa = exponentAt < 0 ? body : body[..exponentAt];
        var exponent = exponentAt < 0 ? "" : body[exponentAt..];
        var dot = mantissa.IndexOf('.');
        var integerPart = dot < 0 ? mantissa : mantissa[..dot];
        var fractionPart = dot < 0 ? "" : mantissa[(dot + 1)..];
        integerPart = integerPart.TrimStart('0');
        if (integerPart.Length == 0)
        {
            integerPart = "0";
        }
        var result = fractionPart.Length > 0 ? $"{integerPart}.{fractionPart}" : integerPart;
        return (negative ? "-" : "") + result + exponent;
    }

    // Element-backed values, as JsonNode.Parse makes them, so GetValue<int>/<double>/<decimal> all work.
    private static JsonNode Number(string jsonText) =>
        JsonValue.Create(JsonDocument.Parse(jsonText).RootElement.Clone())!;
}
