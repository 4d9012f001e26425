using Strata.Core.Tracking;

namespace Strata.Client.Tests.Integration;

/// <summary>The MLflow 3 log-model flow and models:/ resolution against the real server (tracking, artifacts, registry).</summary>
public sealed class ModelFlowTests : IAsyncLifetime
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
    public async Task Log_register_alias_resolve_and_download()
    {
        await using var run = await _client.StartRunAsync("model-flow");
        var result = await _client.LogModelFolderAsync(
            new LogModelRequest { SourceRunId = run.RunId, Name = "clf", ModelType = "test", RegisteredModelName = "flow-model" },
            async (model, folder, ct) =>
            {
                Directory.CreateDirectory(Path.Combine(folder, "data"));
                await File.WriteAllTextAsync(
                    Path.Combine(folder, "MLmodel"), $"artifact_path: {model.Info.ArtifactUri}\nmodel_id: {model.Info.ModelId}\nflavors: {{}}\n", ct);
                await File.WriteAllBytesAsync(Path.Combine(folder, "data", "weights.bin"), new byte[] { 1, 2, 3 }, ct);
            });
        Assert.Equal(LoggedModelStatus.LOGGED_MODEL_READY, result.Model.Info.Status);
        Assert.Equal(1, result.RegisteredVersion!.Version);
        var runAfter = await _client.GetRunAsync(run.RunId);
        Assert.Equal(result.ModelId, runAfter.Outputs.ModelOutputs.Single().ModelId);

        await _client.SetRegisteredModelAliasAsync("flow-model", "champion", 1);
        var expected = result.Model.Info.ArtifactUri;
        Assert.Equal(expected, await _client.ResolveModelUriAsync("models:/flow-model@champion"));
        Assert.Equal(expected, await _client.ResolveModelUriAsync("models:/flow-model/1"));
        Assert.Equal(expected, await _client.ResolveModelUriAsync("models:/flow-model/latest"));
        Assert.Equal(expected, await _client.ResolveModelUriAsync("models:/flow-model/None"));
        Assert.Equal(expected, await _client.ResolveModelUriAsync(result.ModelUri));

        var target = Directory.CreateTempSubdirectory("strata-client-model-dl-");
        try
        {
            var folder = await _client.DownloadModelAsync("models:/flow-model@champion", target.FullName);
            Assert.Equal(new byte[] { 1, 2, 3 }, await File.ReadAllBytesAsync(Path.Combine(folder, "data", "weights.bin")));
            Assert.Contains(result.ModelId, await File.ReadAllTextAsync(Path.Combine(folder, "MLmodel")), StringComparison.Ordinal);
        }
        finally
        {
            target.Delete(recursive: true);
        }

        await Assert.ThrowsAsync<InvalidOperationException>(() => _client.LogModelFolderAsync(
            new LogModelRequest { SourceRunId = run.RunId, Name = "broken" },
            (_, _, _) => throw new IOException("disk full")));
        var broken = await _client.SearchLoggedModelsAsync(new LoggedModelSearch([run.ExperimentId], Filter: "name = 'broken'")).SingleAsync();
        Assert.Equal(LoggedModelStatus.LOGGED_MODEL_UPLOAD_FAILED, broken.Info.Status);
    }
}
