using System.Security.Cryptography;

namespace Strata.Client.Tests.Integration;

public sealed class ArtifactApiTests : IAsyncLifetime
{
    private StrataTestServer _server = null!;
    private StrataClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await StrataTestServer.StartAsync();
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Upload_list_download_and_delete_through_the_proxy()
    {
        var work = Directory.CreateTempSubdirectory("strata-client-art-it-");
        try
        {
            var big = Path.Combine(work.FullName, "weights.bin");
            await using (var file = File.Create(big))
            {
                var chunk = new byte[1 << 20];
                var random = new Random(42);
                for (var i = 0; i < 24; i++)
                {
                    random.NextBytes(chunk);
                    await file.WriteAsync(chunk);
                }
            }
            var folder = Directory.CreateDirectory(Path.Combine(work.FullName, "model"));
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "MLmodel"), "flavors: {}\n");
            Directory.CreateDirectory(Path.Combine(folder.FullName, "data"));
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "data", "a b.txt"), "spaces survive");

            await using var run = await _client.StartRunAsync("artifacts");
            Assert.StartsWith("mlflow-artifacts:/", run.ArtifactUri, StringComparison.Ordinal);
            await run.LogArtifactAsync(big, "blobs");
            await run.LogArtifactsAsync(folder.FullName, "model");
            await run.UploadArtifactAsync("notes/readme.md", new MemoryStream("# hi"u8.ToArray()));

            var root = await _client.ListArtifactsAsync(run.RunId);
            Assert.Equal(run.ArtifactUri, root.RootUri);
            Assert.Equal(["blobs", "model", "notes"], root.Files.Select(f => f.Path).Order());
            Assert.All(root.Files, f => Assert.True(f.IsDir));
            var blobs = await _client.ListArtifactsAsync(run.RunId, "blobs");
            Assert.Equal(24L << 20, blobs.Files.Single(f => f.Path == "blobs/weights.bin").FileSize);

            using (var downloaded = new MemoryStream())
            {
                await _client.DownloadArtifactAsync(run.RunId, "blobs/weights.bin", downloaded);
                downloaded.Position = 0;
                await using var original = File.OpenRead(big);
                Assert.Equal(await SHA256.HashDataAsync(original), await SHA256.HashDataAsync(downloaded));
            }

            var target = Path.Combine(work.FullName, "download");
            var local = await _client.DownloadArtifactsAsync(run.RunId, "model", target);
            Assert.Equal("spaces survive", await File.ReadAllTextAsync(Path.Combine(local, "data", "a b.txt")));
            Assert.Equal("flavors: {}\n", await File.ReadAllTextAsync(Path.Combine(local, "MLmodel")));

            await _client.DeleteArtifactAsync(run.RunId, "notes");
            Assert.DoesNotContain((await _client.ListArtifactsAsync(run.RunId)).Files, f => f.Path == "notes");

            var missing = await Assert.ThrowsAsync<StrataApiException>(() =>
                _client.DownloadArtifactAsync(run.RunId, "blobs/none.bin", Stream.Null));
            Assert.Equal(Core.Errors.ErrorCode.RESOURCE_DOES_NOT_EXIST, missing.ErrorCode);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Logged_model_artifacts_are_listed_through_the_tracking_api()
    {
        var exp = await _client.CreateExperimentAsync("lm-artifacts");
        var model = await _client.CreateLoggedModelAsync(exp, "m");
        await _client.UploadArtifactToUriAsync(model.Info.ArtifactUri, "MLmodel", new MemoryStream("flavors: {}"u8.ToArray()));
        await _client.UploadArtifactToUriAsync(model.Info.ArtifactUri, "data/model.zip", new MemoryStream(new byte[100]));
        var listing = await _client.ListLoggedModelArtifactsAsync(model.Info.ModelId);
        Assert.Equal(["MLmodel", "data"], listing.Files.Select(f => f.Path).Order(StringComparer.Ordinal));
        var viaProxy = await _client.ListArtifactsAtUriAsync(model.Info.ArtifactUri, "data");
        Assert.Equal(100, viaProxy.Single().FileSize);
    }
}
