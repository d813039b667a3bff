namespace Runai.Core;

/// <summary>Kubernetes' rules for object names this product checks before it uses them.</summary>
public static class KubeNames
{
    /// <summary>Longest DNS label (RFC 1123): namespace names, label values, hostnames.</summary>
    public const int MaxDnsLabel = 63;

    /// <summary>
    /// True for an RFC 1123 DNS label, as a namespace name must be: 1 to 63 lower-case letters, digits and '-', starting
    /// and ending with a letter or digit.
    /// </summary>
    public static bool IsDnsLabel(string? s) =>
        s is { Length: > 0 and <= MaxDnsLabel }
        && s.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
        && s[0] != '-' && s[^1] != '-';
}
