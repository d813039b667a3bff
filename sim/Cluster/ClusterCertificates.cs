using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Runai.Sim.Cluster;

/// <summary>
/// The cluster's CA and the API server's serving certificate, made fresh at each start. Clients trust the CA
/// through the kubeconfig (certificate-authority-data), as with a real cluster; kubectl sends bearer tokens only over TLS.
/// </summary>
internal sealed class ClusterCertificates : IDisposable
{
    private ClusterCertificates(X509Certificate2 ca, X509Certificate2 server)
    {
        Ca = ca;
        Server = server;
    }

    public X509Certificate2 Ca { get; }
    /// <summary>The serving certificate with its private key, for 127.0.0.1, ::1 and localhost.</summary>
    public X509Certificate2 Server { get; }

    public string CaPem => Ca.ExportCertificatePem();

    public static ClusterCertificates Create()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=runai-sim-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var caWithKey = caRequest.CreateSelfSigned(now, now.AddYears(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kube-apiserver", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        san.AddDnsName("localhost");
        san.AddDnsName("kubernetes.default.svc");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var signed = request.Create(caWithKey, now, now.AddYears(1), serial);
        using var withKey = signed.CopyWithPrivateKey(serverKey);
        // Round-trip through PKCS#12 so the key is usable by SslStream on every platform.
        var server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        var ca = X509CertificateLoader.LoadCertificate(caWithKey.Export(X509ContentType.Cert));
        return new ClusterCertificates(ca, server);
    }

    public void Dispose()
    {
        Ca.Dispose();
        Server.Dispose();
    }
}
