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
        var store = Assert.IsType<InstrumentedArtifactStore>(local.Services.GetRequiredService<IArtifactStore>());
        Assert.Equal(_root, Assert.IsType<LocalArtifactStore>(store.Inner).Location);
    }

    [Fact]
    public async Task Bytes_and_durations_are_measured()
    {
        await using var server = await ArtifactTestServer.StartAsync(o =>
        {
            o.ArtifactsDestination = _root;
            o.SyncLocalWrites = false;
        });
        var meters = server.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        long uploaded = 0, downloaded = 0;
        var operations = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == InstrumentedArtifactStore.MeterName && ReferenceEquals(instrument.Meter.Scope, meters))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "strata.artifacts.uploaded")
            {
                Interlocked.Add(ref uploaded, value);
            }
            else if (instrument.Name == "strata.artifacts.downloaded")
            {
                Interlocked.Add(ref downloaded, value);
            }
        });
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "operation")
                {
                    operations.Add((string)tag.Value!);
                }
            }
        });
        listener.Start();

        using (var put = await server.Client.PutAsync("api/2.0/mlflow-artifacts/artifacts/m/f.bin", new ByteArrayContent(new byte[1234])))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using (var get = await server.Client.GetAsync("api/2.0/mlflow-artifacts/artifacts/m/f.bin"))
        {
            Assert.Equal(1234, (await get.Content.ReadAsByteArrayAsync()).Length);
        }

        // The store counts a download once the last byte is written, which the client can see before the count.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((Interlocked.Read(ref downloaded) < 1234 || !operations.Contains("download")) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(1234, Interlocked.Read(ref uploaded));
        Assert.Equal(1234, Interlocked.Read(ref downloaded));
        Assert.Contains("upload", operations);
        Assert.Contains("download", operations);
        Assert.Contains("stat", operations);
    }

    [Fact]
    public async Task File_vanishing_between_stat_and_read_is_a_clean_404()
    {
        var inner = new LocalArtifactStore(new LocalArtifactStoreOptions { Root = _root, SyncOnWrite = false });
        await inner.UploadAsync("v/f.bin", new MemoryStream(new byte[1000]), CancellationToken.None);
        await using var server = await ArtifactTestServer.StartAsync(o => o.ArtifactsDestination = _root, new VanishingStore(inner));
        using var response = await server.Client.GetAsync("api/2.0/mlflow-artifacts/artifacts/v/f.bin");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(text.Length, response.Content.Headers.ContentLength ?? text.Length);
        Assert.Equal("RESOURCE_DOES_NOT_EXIST", JsonDocument.Parse(text).RootElement.GetProperty("error_code").GetString());
        Assert.Null(response.Content.Headers.ContentDisposition);
    }

    /// <summary>Reports the file, then loses it when it is read (a delete racing the download).</summary>
    private sealed class VanishingStore(IArtifactStore inner) : IArtifactStore
    {
        public string Location => inner.Location;
        public bool SupportsMultipart => false;
        public Task UploadAsync(string path, Stream content, CancellationToken ct) => inner.UploadAsync(path, content, ct);
        public Task DownloadAsync(string path, Stream destination, ByteRange? range, CancellationToken ct) =>
            throw Strata.Core.Errors.MlflowException.NotFound($"No artifact found at '{path}'");
        public Task<ArtifactStat?> StatAsync(string path, CancellationToken ct) => inner.StatAsync(path, ct);
        public Task<IReadOnlyList<ArtifactEntry>?> ListAsync(string directory, CancellationToken ct) => inner.ListAsync(directory, ct);
        public Task DeleteAsync(string path, CancellationToken ct) => inner.DeleteAsync(path, ct);
        public Task<string> CreateMultipartUploadAsync(string path, CancellationToken ct) => throw new NotSupportedException();
        public Task<string> UploadPartAsync(string path, string uploadId, int partNumber, Stream content, CancellationToken ct) => throw new NotSupportedException();
        public Task CompleteMultipartUploadAsync(string path, string uploadId, IReadOnlyList<UploadedPart> parts, CancellationToken ct) => throw new NotSupportedException();
        public Task AbortMultipartUploadAsync(string path, string uploadId, CancellationToken ct) => throw new NotSupportedException();
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
