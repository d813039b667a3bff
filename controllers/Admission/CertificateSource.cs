using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Runai.Controllers.Admission;

/// <summary>
/// Where the webhook's serving certificate comes from: files in a directory (mounted from a Secret that
/// cert-manager or an operator keeps; re-read when they change), or — by default — the Secret
/// <c>runai-admission-tls</c> in <c>runai</c>, which the first replica creates, every replica reads, and the
/// leader renews 30 days before expiry. Kestrel asks <see cref="Current"/> on every handshake, so a renewed
/// certificate is served without a restart.
/// </summary>
internal sealed class CertificateSource(IKubernetes api, string ns, string secretName, string service, string? certDir, ILogger log, TimeProvider clock)
{
    private volatile X509Certificate2? _current;
    private string? _loadedCertPem;

    /// <summary>The certificate served now; null until the first one is loaded.</summary>
    public X509Certificate2? Current => _current;

    /// <summary>The CA bundle (PEM) the API server must trust; null until known.</summary>
    public string? CaPem { get; private set; }

    /// <summary>When the served certificate expires (for the expiry gauge); null until loaded.</summary>
    public DateTimeOffset? NotAfter { get; private set; }

    public bool FromDirectory => certDir is not null;

    /// <summary>Loads (and, when <paramref name="mayRenew"/>, creates or renews) the certificate. Errors are logged and retried by the caller.</summary>
    public async Task RefreshAsync(bool mayRenew, CancellationToken ct)
    {
        if (certDir is not null)
        {
            var certPem = await File.ReadAllTextAsync(Path.Combine(certDir, "tls.crt"), ct);
            var keyPem = await File.ReadAllTextAsync(Path.Combine(certDir, "tls.key"), ct);
            var caPath = Path.Combine(certDir, "ca.crt");
            var caPem = File.Exists(caPath) ? await File.ReadAllTextAsync(caPath, ct) : null;
            Use(new WebhookCertificate(caPem ?? "", certPem, keyPem), caPem);
            return;
        }

        var secret = await ReadSecretAsync(ct);
        var now = clock.GetUtcNow();
        var stored = secret is null ? null : FromSecret(secret);
        var problem = stored is null ? (secret is null ? "it does not exist" : "it lacks ca.crt, tls.crt or tls.key") : stored.Problem(now);
        if (problem is not null && (mayRenew || secret is null))
        {
            log.LogInformation("Creating a new webhook certificate in Secret {Namespace}/{Secret}: {Why}", ns, secretName, problem);
            var fresh = WebhookCertificate.Create(service, ns, now);
            stored = await WriteSecretAsync(secret, fresh, ct);
        }
        else if (problem is not null)
        {
            log.LogWarning("Webhook certificate in Secret {Namespace}/{Secret} needs renewal ({Why}); the leader renews it", ns, secretName, problem);
        }

        if (stored is null)
        {
            return;
        }

        // A certificate due for renewal is still served until the leader's new one arrives.
        var remaining = stored.Problem(now);
        if (remaining is null || remaining.Contains("expires", StringComparison.Ordinal))
        {
            Use(stored, stored.CaPem);
        }
        else
        {
            log.LogWarning("Webhook certificate in Secret {Namespace}/{Secret} cannot be served: {Why}", ns, secretName, remaining);
        }
    }

    private void Use(WebhookCertificate cert, string? caPem)
    {
        if (cert.CertPem == _loadedCertPem)
        {
            return;
        }

        var serving = cert.ToServingCertificate();
        var old = _current;
        _current = serving;
        _loadedCertPem = cert.CertPem;
        CaPem = string.IsNullOrWhiteSpace(caPem) ? null : caPem;
        NotAfter = serving.NotAfter.ToUniversalTime();
        log.LogInformation("Serving webhook certificate {Subject}, valid until {NotAfter:u}", serving.Subject, NotAfter);
        // The old one may still be in a handshake; let the GC have it rather than dispose under it.
        GC.KeepAlive(old);
    }

    private async Task<V1Secret?> ReadSecretAsync(CancellationToken ct)
    {
        try
        {
            return await api.CoreV1.ReadNamespacedSecretAsync(secretName, ns, cancellationToken: ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<WebhookCertificate?> WriteSecretAsync(V1Secret? existing, WebhookCertificate fresh, CancellationToken ct)
    {
        var data = new Dictionary<string, byte[]>
        {
            ["ca.crt"] = Encoding.UTF8.GetBytes(fresh.CaPem),
            ["tls.crt"] = Encoding.UTF8.GetBytes(fresh.CertPem),
            ["tls.key"] = Encoding.UTF8.GetBytes(fresh.KeyPem),
        };
        try
        {
            if (existing is null)
            {
                await api.CoreV1.CreateNamespacedSecretAsync(new V1Secret
                {
                    Metadata = new V1ObjectMeta
                    {
                        Name = secretName,
                        NamespaceProperty = ns,
                        Labels = new Dictionary<string, string> { ["app"] = service, ["app.kubernetes.io/part-of"] = "runai" },
                    },
                    Type = "kubernetes.io/tls",
                    Data = data,
                }, ns, cancellationToken: ct);
            }
            else
            {
                existing.Data = data;
                await api.CoreV1.ReplaceNamespacedSecretAsync(existing, secretName, ns, cancellationToken: ct);
            }

            return fresh;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // Another replica got there first: theirs is the one everybody serves.
            var winner = await ReadSecretAsync(ct);
            return winner is null ? null : FromSecret(winner);
        }
    }

    private static WebhookCertificate? FromSecret(V1Secret secret)
    {
        if (secret.Data is null
            || !secret.Data.TryGetValue("ca.crt", out var ca)
            || !secret.Data.TryGetValue("tls.crt", out var crt)
            || !secret.Data.TryGetValue("tls.key", out var key))
        {
            return null;
        }

        return new WebhookCertificate(Encoding.UTF8.GetString(ca), Encoding.UTF8.GetString(crt), Encoding.UTF8.GetString(key));
    }
}
