using Microsoft.ML;
using Microsoft.ML.Data;
using Strata.Client.Models;
using Strata.Models;
using Strata.Core.Models;
using Strata.Core.Tracking;

namespace Strata.Client.Tests.Integration;

/// <summary>
/// Logging an ML.NET model from a run and loading it back by models:/ and runs:/ references. The server records
/// a local artifact root here, so the client reads and writes the model files directly (the proxy path is covered
/// by the artifact tests).
/// </summary>
public sealed class MlnetModelTests : IAsyncLifetime
{
    private StrataTestServer _server = null!;
    private StrataClient _client = null!;
    private DirectoryInfo _artifactRoot = null!;

    public async Task InitializeAsync()
    {
        _artifactRoot = Directory.CreateTempSubdirectory("strata-client-root-");
        _server = await StrataTestServer.StartAsync(configure: o => o.DefaultArtifactRoot = new Uri(_artifactRoot.FullName).AbsoluteUri);
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        _artifactRoot.Delete(recursive: true);
    }

    public sealed class Row
    {
        [VectorType(2)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    [Fact]
    public async Task Logged_mlnet_model_loads_back_and_scores_like_the_original()
    {
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 200).Select(i => new Row { Features = [i % 10, (i * 7) % 13], Label = i % 10 > 4 }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.BinaryClassification.Trainers.SdcaLogisticRegression().Fit(data);

        await using var run = await _client.StartRunAsync("mlnet-models");
        var result = await run.LogModelAsync(ml, model, data.Schema, new LogModelOptions { Name = "sdca" });
        Assert.Equal(LoggedModelStatus.LOGGED_MODEL_READY, result.Model.Info.Status);
        Assert.Equal("mlnet", result.Model.Info.ModelType);
        Assert.Equal(run.RunId, result.Model.Info.SourceRunId);
        Assert.Equal(result.ModelId, (await run.GetAsync()).Outputs.ModelOutputs.Single().ModelId);

        using var runtime = await _client.LoadModelAsync(result.ModelUri);
        Assert.Equal("mlnet", runtime.Flavor);
        Assert.Equal(result.ModelId, runtime.Model.ModelId);
        Assert.Equal(run.RunId, runtime.Model.RunId);
        Assert.Equal(result.Model.Info.ArtifactUri, runtime.Model.ArtifactPath);

        var mlnet = Assert.IsType<Serving.Runtimes.MlnetModelRuntime>(runtime);
        var expected = ml.Data.CreateEnumerable<Prediction>(model.Transform(data), reuseRowObject: false).Select(p => p.Probability).ToList();
        var actual = mlnet.PredictMany<Row, Prediction>(rows).Select(p => p.Probability).ToList();
        Assert.Equal(expected, actual);

        // A local artifact root is used in place, without copying.
        var folder = await _client.DownloadModelAsync(result.ModelUri, Path.GetTempPath());
        Assert.StartsWith(_artifactRoot.FullName, folder, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(folder, MlModel.FileName)));

        // A local folder loads directly.
        using (var fromFolder = await _client.LoadModelAsync(folder))
        {
            Assert.Equal(result.ModelId, fromFolder.Model.ModelId);
        }

        // A model saved into the run's own artifacts (2.x style) loads through runs:/.
        var saved = Path.Combine(Path.GetTempPath(), "strata-client-" + Guid.NewGuid().ToString("N"));
        await Serving.Models.MlnetFlavor.SaveAsync(saved, ml, model, data.Schema, new Serving.Models.ModelSaveOptions { RunId = run.RunId, ArtifactPath = "model" });
        await run.LogArtifactsAsync(saved, "model");
        Directory.Delete(saved, recursive: true);
        using (var fromRun = await _client.LoadModelAsync($"runs:/{run.RunId}/model"))
        {
            var viaRun = Assert.IsType<Serving.Runtimes.MlnetModelRuntime>(fromRun).PredictMany<Row, Prediction>(rows).Select(p => p.Probability);
            Assert.Equal(expected, viaRun);
        }

        // runs:/ resolves against the run's artifact root.
        await run.UploadArtifactAsync("notes/readme.txt", new MemoryStream("x"u8.ToArray()));
        var notes = await _client.ResolveModelUriAsync($"runs:/{run.RunId}/notes");
        Assert.Equal(run.ArtifactUri + "/notes", notes);
    }

    [Fact]
    public async Task Registered_model_loads_by_alias_through_the_artifact_proxy()
    {
        await using var server = await StrataTestServer.StartAsync(); // default root: mlflow-artifacts:/ (proxied)
        using var client = server.CreateClient();
        var ml = new MLContext(seed: 2);
        var rows = Enumerable.Range(0, 100).Select(i => new Row { Features = [i % 5, i % 3], Label = i % 5 > 2 }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.BinaryClassification.Trainers.SdcaLogisticRegression().Fit(data);

        await using var run = await client.StartRunAsync("proxied-models");
        var result = await run.LogModelAsync(ml, model, data.Schema, new LogModelOptions { RegisteredModelName = "proxied" });
        Assert.StartsWith("mlflow-artifacts:/", result.Model.Info.ArtifactUri, StringComparison.Ordinal);
        await client.SetRegisteredModelAliasAsync("proxied", "champion", result.RegisteredVersion!.Version);

        var before = Directory.GetDirectories(Path.GetTempPath(), "strata-load-*").Length;
        using var runtime = await client.LoadModelAsync("models:/proxied@champion");
        Assert.Equal(before, Directory.GetDirectories(Path.GetTempPath(), "strata-load-*").Length); // the download was removed
        var expected = ml.Data.CreateEnumerable<Prediction>(model.Transform(data), reuseRowObject: false).Select(p => p.Probability);
        var actual = Assert.IsType<Serving.Runtimes.MlnetModelRuntime>(runtime).PredictMany<Row, Prediction>(rows).Select(p => p.Probability);
        Assert.Equal(expected, actual);
    }

    public sealed class Prediction
    {
        public float Probability { get; set; }
    }
}
