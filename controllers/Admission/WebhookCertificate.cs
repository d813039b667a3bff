using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Runai.Controllers.Admission;

/// <summary>A serving certificate for the webhook with the CA that signed it, as PEM.</summary>
internal sealed record WebhookCertificate(string CaPem, string CertPem, string KeyPem)
{
    /// <summary>Renewed this long before it expires.</summary>
    public static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    public static readonly TimeSpan Validity = TimeSpan.FromDays(365);

    /// <summary>
    /// A new CA and a serving certificate signed by it, for the Service <paramref name="service"/> in
    /// <paramref name="ns"/> under every name the API server may dial (and loopback, for local runs).
    /// Self-managed, as the API server only needs the CA in the webhook's caBundle.
    /// </summary>
    public static WebhookCertificate Create(string service, string ns, DateTimeOffset now)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN={service}-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now + Validity + TimeSpan.FromDays(1));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={service}.{ns}.svc", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var dns in new[] { service, $"{service}.{ns}", $"{service}.{ns}.svc", $"{service}.{ns}.svc.cluster.local", "localhost" })
        {
            names.AddDnsName(dns);
        }

        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var cert = request.Create(ca, now.AddMinutes(-5), now + Validity, serial);
        return new WebhookCertificate(ca.ExportCertificatePem(), cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>The serving certificate with its key, for Kestrel; throws <see cref="CryptographicException"/> on bad PEM.</summary>
    public X509Certificate2 ToServingCertificate()
    {
        using var pem = X509Certificate2.CreateFromPem(CertPem, KeyPem);
        // Re-imported so the key is usable by the TLS stack on every platform.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>When the serving certificate expires; throws <see cref="CryptographicException"/> on bad PEM.</summary>
    public DateTimeOffset NotAfter()
    {
        using var cert = X509Certificate2.CreateFromPem(CertPem);
        return cert.NotAfter.ToUniversalTime();
    }

    /// <summary>Null when the pair is usable at <paramref name="now"/> and not due for renewal; else why not.</summary>
    public string? Problem(DateTimeOffset now)
    {
        try
        {
            using var serving = ToServingCertificate();
            using var ca = X509Certificate2.CreateFromPem(CaPem);
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = now.UtcDateTime;
            if (!chain.Build(serving))
            {
                return "the serving certificate does not chain to the CA: " + string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
            }

            var notAfter = serving.NotAfter.ToUniversalTime();
            return notAfter - now < RenewBefore ? $"the serving certificate expires at {notAfter:u}, within {RenewBefore.TotalDays:0} days" : null;
        }
        catch (CryptographicException e)
        {
            return "the certificate or key is not valid PEM: " + e.Message;
        }
    }
}
