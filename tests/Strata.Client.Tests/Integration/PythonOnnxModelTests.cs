using Strata.Client.Models;
using Strata.Models;
using Strata.Core.Models;
using Strata.Serving.Runtimes;

namespace Strata.Client.Tests.Integration;

/// <summary>
/// A model folder MLflow's Python client wrote (mlflow.onnx.save_model, MLflow 2.12.2) is logged through the artifact
/// proxy and registered the way that client's log_model(registered_model_name=...) does it, then loaded by alias.
/// </summary>
public sealed class PythonOnnxModelTests : IAsyncLifetime
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "TestData", "python-onnx-model");

    // X @ W + b with the weights the Python script used (W = [0.5, -1.25, 2], b = 0.75), computed with numpy.
    private static readonly float[] X = [1, 2, 3, 0, 0, 0, -1.5f, 4, 0.25f, 10, -3, 7.5f];
    private static readonly float[] Expected = [4.75f, 0.75f, -4.5f, 24.5f];

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

    private static void AssertPredictions(IModelRuntime runtime)
    {
        Assert.Equal("onnx", runtime.Flavor);
        var y = (ModelTensor<float>)runtime.Predict(new ModelInput(ModelTensor.Create<float>("X", X, 4, 3)))["y"];
        Assert.Equal([4, 1], y.Shape);
        Assert.Equal(Expected, y.Span.ToArray());
    }

    [Fact]
    public async Task Model_logged_as_MLflow_2_python_logs_it_loads_by_alias()
    {
        // mlflow 2.x: the folder goes to <run artifact root>/model, the version's source is that artifact URI.
        await using var run = await _client.StartRunAsync("python-onnx");
        await _client.LogArtifactDirectoryAsync(run.RunId, Folder, "model");
        var artifactUri = (await _client.GetRunAsync(run.RunId)).Info.ArtifactUri;
        Assert.StartsWith("mlflow-artifacts:/", artifactUri, StringComparison.Ordinal);
        var version = await _client.RegisterModelAsync("py-linear", artifactUri + "/model", runId: run.RunId);
        await _client.SetRegisteredModelAliasAsync("py-linear", "champion", version.Version);

        using var byAlias = await _client.LoadModelAsync("models:/py-linear@champion");
        AssertPredictions(byAlias);
        Assert.Equal("2.12.2", byAlias.Model.MlflowVersion);
        using var byRun = await _client.LoadModelAsync($"runs:/{run.RunId}/model");
        AssertPredictions(byRun);
    }

    [Fact]
    public async Task Model_logged_through_the_logged_model_flow_loads_by_version()
    {
        await using var run = await _client.StartRunAsync("python-onnx");
        var logged = await _client.LogModelFolderAsync(
            new LogModelRequest { SourceRunId = run.RunId, Name = "linear", ModelType = "onnx", RegisteredModelName = "py-linear-3" },
            (_, folder, _) =>
            {
                Directory.CreateDirectory(folder);
                foreach (var file in Directory.EnumerateFiles(Folder))
                {
                    File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
                }

                return Task.CompletedTask;
            });

        using var runtime = await _client.LoadModelAsync($"models:/py-linear-3/{logged.RegisteredVersion!.Version}");
        AssertPredictions(runtime);
        using var byId = await _client.LoadModelAsync(logged.ModelUri);
        AssertPredictions(byId);
    }
}
