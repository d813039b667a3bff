using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;

namespace Runai.Bench;

/// <summary>
/// Plain HTTP to the API server, set up from a kubeconfig by KubernetesClient. Requests and responses stay bytes:
/// the driver shares two cores with the server, so it must not spend them (de)serializing typed models.
/// </summary>
internal sealed class ApiConnection : IDisposable
{
    private const string Json = "application/json";
    public const string MergePatch = "application/merge-patch+json";

    private readonly HttpClient _http;

    private ApiConnection(HttpClient http) => _http = http;

    public static ApiConnection FromKubeconfig(string kubeconfigPath)
    {
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfigPath);
        var ca = config.SslCaCerts is { Count: > 0 } c
            ? c
            : throw new BenchmarkFailedException($"{kubeconfigPath} names no certificate authority for the API server");
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, errors) => TrustedBy(ca, cert, errors),
            },
        };
        var http = new HttpClient(handler)
        {
            BaseAddress = new Uri(config.Host.TrimEnd('/') + "/"),
            // Bounds each request until its headers arrive; watch bodies are read for as long as the driver wants.
            Timeout = TimeSpan.FromMinutes(2),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", config.AccessToken);
        http.DefaultRequestHeaders.UserAgent.ParseAdd("runai-bench/1.0");
        return new ApiConnection(http);
    }

    private static bool TrustedBy(X509Certificate2Collection ca, X509Certificate? cert, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        // Only an untrusted chain is forgivable, and only when it leads to the kubeconfig's own CA.
        if (cert is not X509Certificate2 leaf || errors != SslPolicyErrors.RemoteCertificateChainErrors)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.AddRange(ca);
        return chain.Build(leaf);
    }

    /// <summary>Sends a body and returns the response body; a non-2xx answer throws with the server's message.</summary>
    public async Task<byte[]> SendAsync(HttpMethod method, string path, byte[] body, string contentType, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var response = await _http.SendAsync(request, ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        return response.IsSuccessStatusCode ? bytes : throw Failure(method, path, response.StatusCode, bytes);
    }

    public Task<byte[]> PostAsync(string path, byte[] body, CancellationToken ct) => SendAsync(HttpMethod.Post, path, body, Json, ct);

    public async Task<byte[]> GetAsync(string path, CancellationToken ct)
    {
        using var response = await _http.GetAsync(path, ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        return response.IsSuccessStatusCode ? bytes : throw Failure(HttpMethod.Get, path, response.StatusCode, bytes);
    }

    /// <summary>Reads a response to the end without keeping it; returns its length in bytes.</summary>
    public async Task<long> DrainAsync(string path, CancellationToken ct)
    {
        using var response = await _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw Failure(HttpMethod.Get, path, response.StatusCode, await response.Content.ReadAsByteArrayAsync(ct));
        }

        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[256 * 1024];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, ct)) > 0)
        {
            total += read;
        }

        return total;
    }

    /// <summary>Opens a streaming response (a watch); the caller disposes it.</summary>
    public async Task<HttpResponseMessage> OpenStreamAsync(string path, CancellationToken ct)
    {
        var response = await _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(ct);
            response.Dispose();
            throw Failure(HttpMethod.Get, path, response.StatusCode, bytes);
        }

        return response;
    }

    private static HttpRequestException Failure(HttpMethod method, string path, HttpStatusCode code, byte[] body)
    {
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 300));
        return new HttpRequestException($"{method} /{path} → {(int)code}: {text}", null, code);
    }

    public void Dispose() => _http.Dispose();
}
