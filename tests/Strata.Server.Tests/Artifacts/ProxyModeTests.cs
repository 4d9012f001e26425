using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Strata.Core.Artifacts;
using Strata.Storage.Artifacts;

namespace Strata.Tests.Artifacts;

public sealed class ProxyModeTests : IDisposable
{
    private readonly string _root = Path.Join(Path.GetTempPath(), "strata-mode-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task Serving_switched_off_answers_503_plain_text()
    {
        await using var server = await ArtifactTestServer.StartAsync(o =>
        {
            o.ServeArtifacts = false;
            o.ArtifactsDestination = _root;
        });
        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, "api/2.0/mlflow-artifacts/artifacts?path=x"),
            (HttpMethod.Put, "api/2.0/mlflow-artifacts/artifacts/x/y"),
            (HttpMethod.Get, "ajax-api/2.0/mlflow-artifacts/artifacts/x/y"),
            (HttpMethod.Post, "api/2.0/mlflow-artifacts/mpu/create/x"),
        })
        {
            using var response = await server.SendRawAsync(method, path, method == HttpMethod.Get ? null : new ByteArrayContent([1]));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
            Assert.Contains("--no-serve-artifacts", await response.Content.ReadAsStringAsync());
        }

        Assert.False(Directory.Exists(Path.Join(_root, "x")));
    }

    [Fact]
    public async Task Store_without_multipart_answers_the_exact_501_the_client_falls_back_on()
    {
        var store = new SinglePartStore(new LocalArtifactStore(new LocalArtifactStoreOptions { Root = _root, SyncOnWrite = false }));
        await using var server = await ArtifactTestServer.StartAsync(o => o.ArtifactsDestination = _root, store);
        foreach (var endpoint in new[] { "create", "complete", "abort" })
        {
            using var response = await server.Client.PostAsync($"api/2.0/mlflow-artifacts/mpu/{endpoint}/x",
                new StringContent("""{"path":"f","num_parts":1,"upload_id":"u","parts":[{"part_number":1,"etag":"e"}]}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.NotImplemented, response.StatusCode);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("NOT_IMPLEMENTED", body.GetProperty("error_code").GetString());
            Assert.StartsWith("Multipart upload is not supported for the current artifact repository", body.GetProperty("message").GetString());
        }
    }

    [Fact]
    public async Task Registration_picks_the_store_from_the_destination()
    {
        await using var local = await ArtifactTestServer.StartAsync(o => o.ArtifactsDestination = "file://" + _root);
        Assert.IsType<LocalArtifactStore>(local.Services.GetRequiredService<IArtifactStore>());
        Assert.Equal(_root, ((LocalArtifactStore)local.Store).Location);
    }

    /// <summary>A store that cannot do multipart uploads, like MLflow's local repository.</summary>
    private sealed class SinglePartStore(IArtifactStore inner) : IArtifactStore
    {
        public string Location => inner.Location;
        public bool SupportsMultipart => false;
        public Task UploadAsync(string path, Stream content, CancellationToken ct) => inner.UploadAsync(path, content, ct);
        public Task DownloadAsync(string path, Stream destination, ByteRange? range, CancellationToken ct) => inner.DownloadAsync(path, destination, range, ct);
        public Task<ArtifactStat?> StatAsync(string path, CancellationToken ct) => inner.StatAsync(path, ct);
        public Task<IReadOnlyList<ArtifactEntry>?> ListAsync(string directory, CancellationToken ct) => inner.ListAsync(directory, ct);
        public Task DeleteAsync(string path, CancellationToken ct) => inner.DeleteAsync(path, ct);
        public Task<string> CreateMultipartUploadAsync(string path, CancellationToken ct) => throw new NotSupportedException();
        public Task<string> UploadPartAsync(string path, string uploadId, int partNumber, Stream content, CancellationToken ct) => throw new NotSupportedException();
        public Task CompleteMultipartUploadAsync(string path, string uploadId, IReadOnlyList<UploadedPart> parts, CancellationToken ct) => throw new NotSupportedException();
        public Task AbortMultipartUploadAsync(string path, string uploadId, CancellationToken ct) => throw new NotSupportedException();
    }
}
