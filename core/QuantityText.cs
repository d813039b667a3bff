using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Runai.Core;

/// <summary>
/// The Kubernetes quantity grammar (sign, digits, optional fraction, then a decimal SI suffix such as
/// <c>m</c>/<c>k</c>, a binary suffix such as <c>Ki</c>, or an exponent <c>e3</c>), read into an exact decimal.
/// </summary>
internal static class QuantityText
{
    private static readonly (string Suffix, decimal Factor)[] Suffixes =
    [
        // Two-letter binary suffixes first so "Mi" is not read as "M" followed by junk.
        ("Ki", 1024m), ("Mi", 1024m * 1024), ("Gi", 1024m * 1024 * 1024),
        ("Ti", 1024m * 1024 * 1024 * 1024), ("Pi", 1024m * 1024 * 1024 * 1024 * 1024),
        ("Ei", 1024m * 1024 * 1024 * 1024 * 1024 * 1024),
        ("n", 0.000000001m), ("u", 0.000001m), ("m", 0.001m),
        ("k", 1e3m), ("M", 1e6m), ("G", 1e9m), ("T", 1e12m), ("P", 1e15m), ("E", 1e18m),
    ];

    public static bool TryParse(string text, out decimal value, [NotNullWhen(false)] out string? problem)
    {
        value = 0m;
        var position = 0;
        var negative = false;
        if (position < text.Length && (text[position] == '+' || text[position] == '-'))
        {
            negative = text[position] == '-';
            position++;
        }

        var numberStart = position;
        var integerDigits = CountDigits(text, ref position);
        var fractionDigits = 0;
        if (position < text.Length && text[position] == '.')
        {
            position++;
            fractionDigits = CountDigits(text, ref position);
        }
        if (integerDigits == 0 && fractionDigits == 0)
        {
            problem = "not a number (expected digits such as 4, 0.5 or 500m)";
            return false;
        }
        var numberText = text[numberStart..position];
        if (!decimal.TryParse(numberText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            problem = "the number is too large";
            return false;
        }

        var suffix = text[position..];
        if (!TryApplySuffix(number, suffix, out value, out problem))
        {
            return false;
        }
        if (negative && value != 0m)
        {
            value = -value; // "-0" is zero, not a negative amount
        }
        return true;
    }

    private static int CountDigits(string text, ref int position)
    {
        var start = position;
        while (position < text.Length && char.IsAsciiDigit(text[position]))
        {
            position++;
        }
        return position - start;
    }

    private static bool TryApplySuffix(decimal number, string suffix, out decimal value, [NotNullWhen(false)] out string? problem)
    {
        value = 0m;
        if (suffix.Length == 0)
        {
            value = number;
            problem = null;
            return true;
        }
        if (suffix[0] is 'e' or 'E' && suffix.Length > 1)
        {
            return TryApplyExponent(number, suffix[1..], out value, out problem);
        }
        foreach (var (name, factor) in Suffixes)
        {
            if (suffix == name)
            {
                try
                {
                    value = number * factor;
                }
                catch (OverflowException)
                {
                    problem = "the number is too large";
                    return false;
                }
                problem = null;
                return true;
            }
        }
        problem = $"unknown suffix '{suffix}' (expected one of n, u, m, k, M, G, T, P, E, Ki…Ei or an exponent like e3)";
        return false;
    }

    private static bool TryApplyExponent(decimal number, string exponentText, out decimal value, [NotNullWhen(false)] out string? problem)
    {
        value = 0m;
        if (!int.TryParse(exponentText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exponent))
        {
            problem = $"invalid exponent '{exponentText}'";
            return false;
        }
        if (number == 0m)
        {
            problem = null;
            return true;
        }
        if (exponent is > 28 or < -28)
        {
            problem = $"exponent {exponent} is out of range";
            return false;
        }
        try
        {
            var scale = 1m;
            for (var i = 0; i < Math.Abs(exponent); i++)
            {
                scale *= 10m;
            }
            value = exponent >= 0 ? number * scale : number / scale;
        }
        catch (OverflowException)
        {
            problem = "the number is too large";
            return false;
        }
        problem = null;
        return true;
    }
}
