using System.Globalization;

namespace Runai.Sim.Api;

/// <summary>metav1.Time as the API server writes it: RFC 3339 in UTC, whole seconds.</summary>
internal static class KubeTime
{
    public static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    public static string Now(TimeProvider time) => Format(time.GetUtcNow());
}
