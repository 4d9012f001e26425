using System.Text.Json;
using Strata.Client;
using Strata.Client.Models;
using Strata.Core.Models;
using Strata.Models.Tests.Support;
using Strata.Serving.Hosting;
using Strata.Serving.Models;
using Strata.Serving.Runtimes;

namespace Strata.Models.Tests.CodeModels;

/// <summary>
/// The seed's intermediate layer end to end: an ML.NET model registered by a data scientist, wrapped by a code model
/// (validation, a business rule, a threshold from model_config) that carries it as an artifact, logged with the SDK,
/// registered, served from the registry and queried.
/// </summary>
public sealed class CodeModelRoundTripTests(CodeModelBuilds builds) : IClassFixture<CodeModelBuilds>, IAsyncLifetime
{
    private TrackingServer _server = null!;
    private StrataClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await TrackingServer.StartAsync();
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_code_model_wrapping_a_registered_mlnet_model_logs_registers_serves_and_predicts()
    {
        // The data scientist's model, registered on its own.
        var data = builds.Ml.Data.LoadFromEnumerable(builds.Rows);
        var scientist = await _client.RunAsync("code-models", async run =>
            await run.LogModelAsync(builds.Ml, builds.Classifier, data.Schema, new LogModelOptions
            {
                Name = "regressor",
                RegisteredModelName = "regressor",
                InputExample = new ModelInput(ModelTensor.Column("x1", new[] { 1f }), ModelTensor.Column("x2", new[] { 2f })),
            }));
        Assert.Equal(1L, scientist.RegisteredVersion!.Version);

        // The ML engineer's code model wraps it by its registry name.
        var type = TestModelCompiler.LoadType(builds.ScoringAssembly, "Tiny.ScoringModel");
        var logged = await _client.RunAsync("code-models", async run =>
            await run.LogCodeModelAsync(
                new CodeModel
                {
                    ModelType = type,
                    Artifacts = new Dictionary<string, string> { ["classifier"] = "models:/regressor/1" },
                    ModelConfig = new Dictionary<string, object?> { ["threshold"] = 5.0 },
                },
                new LogModelOptions
                {
                    Name = "scoring",
                    RegisteredModelName = "scoring",
                    InputExample = new ModelInput(ModelTensor.Column("x1", new[] { 4f, 1f }), ModelTensor.Column("x2", new[] { 1f, 200f })),
                }));
        Assert.Equal("dotnet_function", logged.Model.Info.ModelType);
        Assert.Equal(1L, logged.RegisteredVersion!.Version);

        // The logged folder: flavor, example files, the wrapped model inside.
        var folder = await _client.DownloadModelAsync("models:/scoring/1", Path.Combine(builds.Root, "download-" + Guid.NewGuid().ToString("N")));
        var mlmodel = await ModelFolder.ReadMlModelAsync(folder);
        Assert.True(mlmodel.HasFlavor(DotnetFunctionFlavor.Name));
        Assert.False(mlmodel.HasFlavor("python_function"));
        Assert.Equal("serving_input_example.json", mlmodel.SavedInputExampleInfo!.ServingInputPath);
        Assert.True(File.Exists(Path.Combine(folder, "artifacts", "classifier", "MLmodel")));
        var artifacts = (IReadOnlyDictionary<string, object?>)mlmodel.Flavor(DotnetFunctionFlavor.Name)!["artifacts"]!;
        Assert.Equal("models:/regressor/1", ((IReadOnlyDictionary<string, object?>)artifacts["classifier"]!)["uri"]);
        using (var example = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "serving_input_example.json"))))
        {
            Assert.Equal("x1", example.RootElement.GetProperty("dataframe_split").GetProperty("columns")[0].GetString());
        }

        // Served from the registry: the code model scores through the ML.NET runtime it loaded from its artifact.
        await using var serving = await ScoringServer.StartAsync(new ServingOptions
        {
            Models = [new ServeModelSpec("scoring", "models:/scoring/1")],
            TrackingUri = _server.Uri.ToString(),
        });
        var (status, body) = await serving.PostAsync("/invocations",
            """{"dataframe_split": {"columns": ["x1", "x2"], "data": [[4.0, 1.0], [1.0, 2.0], [9.0, 200.0]]}}""");
        Assert.Equal(200, status);
        using var direct = await _client.LoadModelAsync("models:/regressor/1");
        var expected = ((ModelTensor<float>)direct.Predict(new ModelInput(
            ModelTensor.Column("x1", new[] { 4f, 1f, 9f }), ModelTensor.Column("x2", new[] { 1f, 2f, 200f })))["Score"]).Span.ToArray();
        var predictions = body.GetProperty("predictions").EnumerateArray().ToList();
        Assert.Equal(expected, predictions.Select(p => p.GetProperty("Score").GetSingle()).ToArray());
        Assert.Equal([true, false, false], predictions.Select(p => p.GetProperty("Approved").GetBoolean()).ToArray());
        Assert.Equal("x2 over limit", predictions[2].GetProperty("Rule").GetString());

        // Validation in the code model is the caller's 400.
        var (badStatus, bad) = await serving.PostAsync("/invocations", """{"dataframe_split": {"columns": ["x1", "x2"], "data": [["NaN", 1.0]]}}""");
        Assert.Equal(400, badStatus);
        Assert.Equal("INVALID_PARAMETER_VALUE", bad.GetProperty("error_code").GetString());

        // The SDK loads the same model in-process through the same runtime.
        using var runtime = await _client.LoadModelAsync("models:/scoring/1");
        var code = Assert.IsType<CodeModelRuntime>(runtime);
        var output = code.Predict(new ModelInput(ModelTensor.Column("x1", new[] { 4f }), ModelTensor.Column("x2", new[] { 1f })));
        Assert.Equal(expected[0], ((ModelTensor<float>)output["Score"]).Span[0]);
    }
}
