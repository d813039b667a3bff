using Runai.Controllers.Admission;

namespace Runai.Admission.Tests;

public sealed class WebhookCertificateTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ANewCertificateChainsToItsCaAndNamesTheService()
    {
        var cert = WebhookCertificate.Create("runai-admission", "runai", Now);
        Assert.Null(cert.Problem(Now));
        using var serving = cert.ToServingCertificate();
        Assert.True(serving.HasPrivateKey);
        var names = serving.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().ToList();
        Assert.Contains("runai-admission.runai.svc", names);
        Assert.Contains("runai-admission.runai.svc.cluster.local", names);
        Assert.Equal(Now + WebhookCertificate.Validity, cert.NotAfter(), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void ACertificateIsDueForRenewalThirtyDaysBeforeItExpires()
    {
        var cert = WebhookCertificate.Create("runai-admission", "runai", Now);
        Assert.Null(cert.Problem(Now + WebhookCertificate.Validity - WebhookCertificate.RenewBefore - TimeSpan.FromDays(1)));
        Assert.Contains("expires", cert.Problem(Now + WebhookCertificate.Validity - TimeSpan.FromDays(29)));
    }

    [Fact]
    public void MismatchedOrBrokenMaterialIsNamed()
    {
        var a = WebhookCertificate.Create("runai-admission", "runai", Now);
        var b = WebhookCertificate.Create("runai-admission", "runai", Now);
        Assert.Contains("does not chain", (a with { CaPem = b.CaPem }).Problem(Now));
        Assert.Contains("not valid PEM", (a with { KeyPem = "garbage" }).Problem(Now));
    }
}
