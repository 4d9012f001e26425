using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Strata.Client.Artifacts;
using Strata.Client.Tests.Support;

namespace Strata.Client.Tests.Unit;

public sealed class ArtifactTests
{
    private static readonly Uri Tracking = new("http://tracker:5000/mlflow");

    [Theory]
    [InlineData("mlflow-artifacts:/0/abc/artifacts", "http://tracker:5000/mlflow/api/2.0/mlflow-artifacts/artifacts", "0/abc/artifacts")]
    [InlineData("mlflow-artifacts:/", "http://tracker:5000/mlflow/api/2.0/mlflow-artifacts/artifacts", "")]
    [InlineData("mlflow-artifacts://other:7000/3/r/artifacts", "http://other:7000/mlflow/api/2.0/mlflow-artifacts/artifacts", "3/r/artifacts")]
    [InlineData("https://h/x/api/2.0/mlflow-artifacts/artifacts/5/models/m-1/artifacts", "https://h/x/api/2.0/mlflow-artifacts/artifacts", "5/models/m-1/artifacts")]
    public void Proxy_uris_resolve_to_the_artifact_endpoint(string uri, string expectedBase, string expectedPath)
    {
        var proxy = Assert.IsType<ArtifactLocation.Proxy>(ArtifactLocation.Resolve(uri, Tracking));
        Assert.Equal(expectedBase, proxy.ProxyBase.AbsoluteUri);
        Assert.Equal(expectedPath, proxy.RelativePath);
    }

    [Fact]
    public void Local_and_unsupported_schemes()
    {
        Assert.Equal("/data/a", Assert.IsType<ArtifactLocation.Local>(ArtifactLocation.Resolve("file:///data/a", Tracking)).Directory);
        Assert.Equal("/data/b", Assert.IsType<ArtifactLocation.Local>(ArtifactLocation.Resolve("/data/b", Tracking)).Directory);
        Assert.Throws<NotSupportedException>(() => ArtifactLocation.Resolve("s3://bucket/x", Tracking));
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("a/../../x")]
    [InlineData("/etc/passwd")]
    [InlineData("C:/x")]
    [InlineData("a\\b")]
    [InlineData("a#b")]
    [InlineData("a//b")]
    [InlineData("./a")]
    public void Unsafe_or_unnormalized_paths_are_rejected(string path) =>
        Assert.Throws<ArgumentException>(() => ArtifactPaths.Normalize(path));

    [Theory]
    [InlineData("model/MLmodel", "model/MLmodel")]
    [InlineData("a/..b/c", "a/..b/c")]
    [InlineData("dir/", "dir")]
    [InlineData(null, "")]
    public void Safe_paths_are_accepted(string? path, string expected) => Assert.Equal(expected, ArtifactPaths.Normalize(path));

    [Fact]
    public async Task Upload_streams_to_the_proxy_and_download_streams_back()
    {
        var stored = new Dictionary<string, byte[]>();
        var chunked = new List<bool>();
        ScriptedServer? server = null;
        server = await ScriptedServer.StartAsync(async (c, _) =>
        {
            var path = c.Request.Path.Value!;
            if (c.Request.Method == "PUT")
            {
                chunked.Add(c.Request.ContentLength is null);
                stored[path] = server!.Requests.Last().BodyBytes;
                await c.Json("{}");
            }
            else
            {
                await c.Response.Body.WriteAsync(Payload(3 * 1024 * 1024 + 17));
            }
        });
        await using var _ = server;
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        const string uri = "mlflow-artifacts:/1/run1/artifacts";

        await client.UploadArtifactToUriAsync(uri, "model/weights bin.dat", new MemoryStream(Payload(1000)));
        await client.UploadArtifactToUriAsync(uri, "model/stream.dat", new NonSeekableStream(Payload(5000)));
        Assert.Equal(Payload(1000), stored["/api/2.0/mlflow-artifacts/artifacts/1/run1/artifacts/model/weights bin.dat"]);
        Assert.Equal(Payload(5000), stored["/api/2.0/mlflow-artifacts/artifacts/1/run1/artifacts/model/stream.dat"]);
        Assert.Equal([false, true], chunked); // a seekable stream sends its length, a non-seekable one is chunked

        using var destination = new MemoryStream();
        await client.DownloadArtifactFromUriAsync(uri, "model/weights bin.dat", destination);
        Assert.Equal(SHA256.HashData(Payload(3 * 1024 * 1024 + 17)), SHA256.HashData(destination.ToArray()));
    }

    [Fact]
    public async Task Non_seekable_upload_is_not_retried_but_seekable_one_is()
    {
        var calls = 0;
        await using var server = await ScriptedServer.StartAsync((c, _) =>
            Interlocked.Increment(ref calls) % 2 == 1
                ? c.Json("""{"error_code":"TEMPORARILY_UNAVAILABLE","message":"x"}""", 503)
                : c.Json("{}"));
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        await client.UploadArtifactToUriAsync("mlflow-artifacts:/1", "a.bin", new MemoryStream(Payload(10)));
        Assert.Equal(2, calls);
        var ex = await Assert.ThrowsAsync<StrataApiException>(() =>
            client.UploadArtifactToUriAsync("mlflow-artifacts:/1", "b.bin", new NonSeekableStream(Payload(10))));
        Assert.Equal(3, calls);
        Assert.True(ex.IsTransient);
    }

    [Fact]
    public async Task Local_artifact_uris_are_written_and_read_directly()
    {
        var root = Directory.CreateTempSubdirectory("strata-client-art-");
        try
        {
            var src = Directory.CreateTempSubdirectory("strata-client-src-");
            File.WriteAllText(Path.Combine(src.FullName, "MLmodel"), "flavors: {}");
            Directory.CreateDirectory(Path.Combine(src.FullName, "data"));
            File.WriteAllBytes(Path.Combine(src.FullName, "data", "model.zip"), Payload(4096));
            using var client = StrataClient.Create(TestOptions.Fast(new Uri("http://127.0.0.1:1")));
            var uri = new Uri(root.FullName).AbsoluteUri;
            await client.UploadDirectoryToUriAsync(uri, src.FullName, "model");
            var listing = await client.ListArtifactsAtUriAsync(uri, "model");
            Assert.Equal(["model/MLmodel", "model/data"], listing.Select(f => f.Path));
            Assert.True(listing[1].IsDir);
            var target = Directory.CreateTempSubdirectory("strata-client-dl-");
            var local = await client.DownloadArtifactsFromUriAsync(uri, "model", target.FullName);
            Assert.Equal(Payload(4096), File.ReadAllBytes(Path.Combine(local, "data", "model.zip")));
            Directory.Delete(src.FullName, true);
            Directory.Delete(target.FullName, true);
        }
        finally
        {
            root.Delete(true);
        }
    }

    internal static byte[] Payload(int size)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        return bytes;
    }

    private sealed class NonSeekableStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
