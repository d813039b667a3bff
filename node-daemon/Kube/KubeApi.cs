using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace Runai.NodeDaemon.Kube;

/// <summary>A request to the Kubernetes API failed; the message names the request and what came back.</summary>
internal sealed class KubeApiException(string message, HttpStatusCode? status = null) : Exception(message)
{
    public HttpStatusCode? Status { get; } = status;
}

/// <summary>
/// The three API calls the node exporter makes (read its node, merge-patch its labels, read a pod), over one
/// HttpClient. Hand-written instead of KubernetesClient: that client's models and serializers would be most of
/// this daemon's memory and binary, and three JSON documents read with <see cref="JsonDocument"/> need neither.
/// Credentials come from a kubeconfig (token or client certificate, the cluster CA) or the pod's service account.
/// </summary>
internal sealed class KubeApi : IDisposable
{
    private const string ServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";
    private readonly HttpClient http;
    private readonly Uri server;
    private readonly string? token;
    private readonly string? tokenFile;

    private KubeApi(Uri server, X509Certificate2? ca, bool insecure, X509Certificate2? clientCertificate, string? token, string? tokenFile)
    {
        this.server = server;
        this.token = token;
        this.tokenFile = tokenFile;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        if (clientCertificate is not null) handler.SslOptions.ClientCertificates = [clientCertificate];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (insecure || errors == SslPolicyErrors.None) return true;
            // Only a chain the system does not know is forgiven, and only when the cluster CA signed it.
            if (ca is null || certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            using var leaf = new X509Certificate2(certificate);
            return chain.Build(leaf);
        };
        http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(15) };
    }

    public Uri Server => server;

    /// <summary>
    /// The API from <paramref name="kubeconfig"/> when given, else <c>$KUBECONFIG</c>, else the pod's service account
    /// (in-cluster). Null with the reason when none is usable.
    /// </summary>
    public static KubeApi? Create(string? kubeconfig, out string problem)
    {
        problem = "";
        kubeconfig ??= Environment.GetEnvironmentVariable("KUBECONFIG");
        try
        {
            if (!string.IsNullOrEmpty(kubeconfig)) return FromKubeconfig(kubeconfig);
            var host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
            var port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT");
            if (string.IsNullOrEmpty(host) || !File.Exists(Path.Combine(ServiceAccountDirectory, "token")))
            {
                problem = "no kubeconfig (--kubeconfig, KUBECONFIG) and not running in a pod with a service account";
                return null;
            }
            var ca = X509Certificate2.CreateFromPemFile(Path.Combine(ServiceAccountDirectory, "ca.crt"));
            var uri = new Uri($"https://{(host.Contains(':') ? $"[{host}]" : host)}:{(string.IsNullOrEmpty(port) ? "443" : port)}");
            return new KubeApi(uri, ca, insecure: false, null, null, Path.Combine(ServiceAccountDirectory, "token"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or YamlDotNet.Core.YamlException
            or System.Security.Cryptography.CryptographicException or InvalidDataException or UriFormatException)
        {
            problem = $"the Kubernetes credentials could not be read: {e.Message}";
            return null;
        }
    }

    private static KubeApi FromKubeconfig(string path)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(path)) yaml.Load(reader);
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root)
            throw new InvalidDataException($"kubeconfig {path} is empty or not a mapping");
        var currentContext = Scalar(root, "current-context") ?? throw new InvalidDataException($"kubeconfig {path} has no current-context");
        var context = Named(root, "contexts", currentContext, "context", path);
        var clusterName = Scalar(context, "cluster") ?? throw new InvalidDataException($"kubeconfig {path}: context {currentContext} names no cluster");
        var cluster = Named(root, "clusters", clusterName, "cluster", path);
        var userName = Scalar(context, "user");
        var user = userName is null ? new YamlMappingNode() : Named(root, "users", userName, "user", path);
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";

        var server = new Uri(Scalar(cluster, "server") ?? throw new InvalidDataException($"kubeconfig {path}: cluster {clusterName} has no server"));
        var ca = PemText(cluster, "certificate-authority-data", "certificate-authority", baseDir);
        var insecure = Scalar(cluster, "insecure-skip-tls-verify") == "true";
        X509Certificate2? clientCertificate = null;
        var certPem = PemText(user, "client-certificate-data", "client-certificate", baseDir);
        var keyPem = PemText(user, "client-key-data", "client-key", baseDir);
        if (certPem is not null && keyPem is not null) clientCertificate = X509Certificate2.CreateFromPem(certPem, keyPem);
        var tokenFile = Scalar(user, "tokenFile");
        return new KubeApi(server, ca is null ? null : X509Certificate2.CreateFromPem(ca), insecure, clientCertificate,
            Scalar(user, "token"), tokenFile is null ? null : Path.Combine(baseDir, tokenFile));
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode s ? s.Value : null;

    private static YamlMappingNode Named(YamlMappingNode root, string list, string name, string field, string path)
    {
        if (root.Children.TryGetValue(new YamlScalarNode(list), out var items) && items is YamlSequenceNode seq)
        {
            foreach (var item in seq.Children.OfType<YamlMappingNode>())
            {
                if (Scalar(item, "name") == name && item.Children.TryGetValue(new YamlScalarNode(field), out var body) && body is YamlMappingNode m) return m;
            }
        }
        throw new InvalidDataException($"kubeconfig {path} has no {field} named '{name}' under {list}");
    }

    private static string? PemText(YamlMappingNode node, string dataKey, string fileKey, string baseDir)
    {
        if (Scalar(node, dataKey) is { } data) return Encoding.UTF8.GetString(Convert.FromBase64String(data));
        if (Scalar(node, fileKey) is { } file) return File.ReadAllText(Path.Combine(baseDir, file));
        return null;
    }

    /// <summary>GET of an API path; the parsed body, or a <see cref="KubeApiException"/> naming the failure.</summary>
    public async Task<JsonDocument> GetAsync(string path, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server, path));
        return await SendAsync(request, ct).ConfigureAwait(false);
    }

    /// <summary>A JSON merge patch (RFC 7386) of an API path.</summary>
    public async Task<JsonDocument> MergePatchAsync(string path, byte[] patch, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, new Uri(server, path))
        {
            Content = new ByteArrayContent(patch) { Headers = { ContentType = new MediaTypeHeaderValue("application/merge-patch+json") } },
        };
        return await SendAsync(request, ct).ConfigureAwait(false);
    }

    private async Task<JsonDocument> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var bearer = token;
        // Bound service-account tokens rotate; the file always holds the current one.
        if (tokenFile is not null) bearer = (await File.ReadAllTextAsync(tokenFile, ct).ConfigureAwait(false)).Trim();
        if (!string.IsNullOrEmpty(bearer)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new KubeApiException($"{request.Method} {request.RequestUri?.AbsolutePath}: {e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new KubeApiException($"{request.Method} {request.RequestUri?.AbsolutePath}: no answer within {http.Timeout.TotalSeconds:0} s");
        }

        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var text = Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 300)));
                throw new KubeApiException($"{request.Method} {request.RequestUri?.AbsolutePath}: {(int)response.StatusCode} {text}", response.StatusCode);
            }
            try
            {
                return JsonDocument.Parse(body);
            }
            catch (JsonException e)
            {
                throw new KubeApiException($"{request.Method} {request.RequestUri?.AbsolutePath}: the answer is not JSON: {e.Message}");
            }
        }
    }

    public void Dispose() => http.Dispose();
}
