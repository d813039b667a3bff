using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Runai.Core;

/// <summary>
/// A number of GPUs, whole (<c>4</c>) or fractional (<c>0.5</c> = half a device).
/// Parses plain numbers and Kubernetes quantities (<c>500m</c>, <c>1k</c>, <c>2e0</c>); never negative.
/// Formats the way Run:ai annotations and the CLI show GPUs: integers without decimals, fractions as <c>0.5</c>.
/// </summary>
[JsonConverter(typeof(GpuQuantityJsonConverter))]
public readonly struct GpuQuantity :
    IEquatable<GpuQuantity>,
    IComparable<GpuQuantity>,
    IComparable,
    IComparisonOperators<GpuQuantity, GpuQuantity, bool>,
    IAdditionOperators<GpuQuantity, GpuQuantity, GpuQuantity>,
    IMultiplyOperators<GpuQuantity, int, GpuQuantity>,
    IAdditiveIdentity<GpuQuantity, GpuQuantity>
{
    // Kubernetes keeps quantities to nano precision; more digits than that are rounding noise.
    private const int MaxScale = 9;

    private readonly decimal _value;

    private GpuQuantity(decimal value) => _value = Normalize(value);

    public static GpuQuantity Zero => default;
    public static GpuQuantity AdditiveIdentity => default;

    /// <summary>The amount as a decimal (exact, at most nine decimal places).</summary>
    public decimal Value => _value;

    public bool IsZero => _value == 0m;
    public bool IsWhole => decimal.Truncate(_value) == _value;

    /// <summary>True for a part of one device or more (e.g. 0.5, 1.5).</summary>
    public bool IsFractional => !IsWhole;

    /// <summary>Whole devices a pod needs to be given for this amount (0.5 → 1, 2 → 2).</summary>
    public int DevicesCeiling => (int)decimal.Ceiling(_value);

    public static GpuQuantity FromDevices(int devices)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(devices);
        return new GpuQuantity(devices);
    }

    public static GpuQuantity FromDecimal(decimal value)
    {
        if (value < 0m)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "A GPU quantity cannot be negative.");
        }
        return new GpuQuantity(value);
    }

    /// <summary>Parses a GPU amount; throws <see cref="FormatException"/> naming the problem.</summary>
    public static GpuQuantity Parse(string text)
    {
        if (!TryParse(text, out var quantity, out var error))
        {
            throw new FormatException(error);
        }
        return quantity;
    }

    public static bool TryParse([NotNullWhen(true)] string? text, out GpuQuantity quantity) =>
        TryParse(text, out quantity, out _);

    /// <summary>Parses a GPU amount; on failure <paramref name="error"/> says what is wrong with the text.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out GpuQuantity quantity, [NotNullWhen(false)] out string? error)
    {
        quantity = default;
        if (text is null)
        {
            error = "GPU quantity is missing.";
            return false;
        }
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            error = "GPU quantity is empty.";
            return false;
        }
        if (!QuantityText.TryParse(trimmed, out var value, out var problem))
        {
            error = $"Invalid GPU quantity '{text}': {problem}.";
            return false;
        }
        if (value < 0m)
        {
            error = $"Invalid GPU quantity '{text}': a GPU quantity cannot be negative.";
            return false;
        }
        if (decimal.Round(value, MaxScale) != value && decimal.Round(value, MaxScale) == 0m)
        {
            error = $"Invalid GPU quantity '{text}': smaller than the nano precision Kubernetes keeps.";
            return false;
        }
        quantity = new GpuQuantity(value);
        error = null;
        return true;
    }

    /// <summary>Sums amounts, e.g. the GPUs of all pods of a workload.</summary>
    public static GpuQuantity Sum(IEnumerable<GpuQuantity> quantities)
    {
        var total = Zero;
        foreach (var quantity in quantities)
        {
            total += quantity;
        }
        return total;
    }

    public static GpuQuantity Max(GpuQuantity a, GpuQuantity b) => a >= b ? a : b;
    public static GpuQuantity Min(GpuQuantity a, GpuQuantity b) => a <= b ? a : b;

    /// <summary><paramref name="a"/> minus <paramref name="b"/>, or zero when <paramref name="b"/> is larger (e.g. GPUs over quota).</summary>
    public static GpuQuantity SubtractOrZero(GpuQuantity a, GpuQuantity b) =>
        a._value > b._value ? new GpuQuantity(a._value - b._value) : Zero;

    public static GpuQuantity operator +(GpuQuantity left, GpuQuantity right) => new(left._value + right._value);

    /// <summary>Subtraction that refuses to go below zero: a negative GPU count is always a bug.</summary>
    public static GpuQuantity operator -(GpuQuantity left, GpuQuantity right)
    {
        if (right._value > left._value)
        {
            throw new InvalidOperationException($"Cannot subtract {right} GPUs from {left} GPUs: the result would be negative.");
        }
        return new GpuQuantity(left._value - right._value);
    }

    /// <summary>Scales a per-pod amount by a pod count (e.g. workers × GPUs per worker).</summary>
    public static GpuQuantity operator *(GpuQuantity left, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return new GpuQuantity(left._value * count);
    }

    public static implicit operator GpuQuantity(int devices) => FromDevices(devices);

    public static bool operator ==(GpuQuantity left, GpuQuantity right) => left._value == right._value;
    public static bool operator !=(GpuQuantity left, GpuQuantity right) => left._value != right._value;
    public static bool operator <(GpuQuantity left, GpuQuantity right) => left._value < right._value;
    public static bool operator >(GpuQuantity left, GpuQuantity right) => left._value > right._value;
    public static bool operator <=(GpuQuantity left, GpuQuantity right) => left._value <= right._value;
    public static bool operator >=(GpuQuantity left, GpuQuantity right) => left._value >= right._value;

    public bool Equals(GpuQuantity other) => _value == other._value;
    public override bool Equals(object? obj) => obj is GpuQuantity other && Equals(other);
    public override int GetHashCode() => _value.GetHashCode();
    public int CompareTo(GpuQuantity other) => _value.CompareTo(other._value);

    public int CompareTo(object? obj) => obj switch
    {
        null => 1,
        GpuQuantity other => CompareTo(other),
        _ => throw new ArgumentException($"Cannot compare a GPU quantity with {obj.GetType().Name}.", nameof(obj)),
    };

    /// <summary>"4" for whole GPUs, "0.5" / "1.25" for fractions; never exponent notation or trailing zeros.</summary>
    public override string ToString() => _value.ToString("0.#########", CultureInfo.InvariantCulture);

    public double ToDouble() => (double)_value;

    private static decimal Normalize(decimal value)
    {
        var rounded = decimal.Round(value, MaxScale, MidpointRounding.AwayFromZero);
        // Dividing by 1 with many zeros drops trailing zeros from the scale, so 0.50 and 0.5 print alike.
        return rounded / 1.000000000000000000000000000000000m;
    }
}

/// <summary>Reads a GPU amount from a JSON number or quantity string; writes a JSON number (0.5, 4).</summary>
public sealed class GpuQuantityJsonConverter : JsonConverter<GpuQuantity>
{
    public override GpuQuantity Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                if (!reader.TryGetDecimal(out var number))
                {
                    throw new JsonException("GPU quantity is out of range.");
                }
                if (number < 0m)
                {
                    throw new JsonException($"Invalid GPU quantity {number.ToString(CultureInfo.InvariantCulture)}: a GPU quantity cannot be negative.");
                }
                return GpuQuantity.FromDecimal(number);
            case JsonTokenType.String:
                var text = reader.GetString();
                if (!GpuQuantity.TryParse(text, out var parsed, out var error))
                {
                    throw new JsonException(error);
                }
                return parsed;
            default:
                throw new JsonException($"GPU quantity must be a number or a quantity string, not {reader.TokenType}.");
        }
    }

    public override void Write(Utf8JsonWriter writer, GpuQuantity value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.ToString(), skipInputValidation: true);
}
