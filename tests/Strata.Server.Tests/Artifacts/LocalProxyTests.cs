using Strata.Storage.Artifacts;

namespace Strata.Tests.Artifacts;

public sealed class LocalProxyTests : ProxyContractTests, IDisposable
{
    private readonly string _root = Path.Join(Path.GetTempPath(), "strata-proxy-" + Guid.NewGuid().ToString("N"));

    protected override Task<ArtifactTestServer> StartServerAsync() =>
        ArtifactTestServer.StartAsync(o =>
        {
            o.ArtifactsDestination = _root;
            o.SyncLocalWrites = false;
        });

    protected override int? UnfinishedUploads()
    {
        var temp = Path.Join(_root, LocalArtifactStore.TempFolderName);
        return Directory.Exists(temp) ? Directory.EnumerateFiles(temp, "*", SearchOption.AllDirectories).Count() : 0;
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}

public sealed class S3ProxyTests(S3rverServer s3) : ProxyContractTests, IClassFixture<S3rverServer>
{
    protected override async Task<ArtifactTestServer> StartServerAsync()
    {
        var bucket = await s3.CreateBucketAsync();
        return await ArtifactTestServer.StartAsync(o => o.ArtifactsDestination = $"s3://{bucket}/mlartifacts", new S3ArtifactStore(s3.Options(bucket, "mlartifacts")));
    }

    // s3rver can neither list nor abort multipart uploads; visibility is checked through the API.
    protected override int? UnfinishedUploads() => null;
}
