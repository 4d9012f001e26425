using System.Runtime.CompilerServices;
using System.Text.Json;
using Strata.Core.Errors;
using Strata.Core.Models;
using Strata.Models.Tests.Support;
using Strata.Serving.Batching;
using Strata.Serving.Hosting;
using Strata.Serving.Models;
using Strata.Serving.Runtimes;

namespace Strata.Models.Tests.CodeModels;

/// <summary>Serving <c>dotnet_function</c> models: isolation per version, unloading, errors, the runtime check.</summary>
public sealed class CodeModelServingTests(CodeModelBuilds builds) : IClassFixture<CodeModelBuilds>
{
    private const string Quotes = """{"dataframe_split": {"columns": ["Amount", "Customer"], "data": [[10.0, "a"], [4.0, "b"]]}}""";

    [Fact]
    public async Task Two_builds_with_conflicting_dependency_versions_are_served_side_by_side()
    {
        var v1 = await builds.SavePricingAsync(builds.PricingV1);
        var v2 = await builds.SavePricingAsync(builds.PricingV2);
        await using var server = await ScoringServer.StartAsync(new ServingOptions
        {
            Models = [new ServeModelSpec("pricing-v1", v1), new ServeModelSpec("pricing-v2", v2)],
            Batching = new BatchingOptions { Enabled = true, MaxBatchSize = 8, MaxDelay = TimeSpan.FromMilliseconds(1) },
        });

        var (status1, body1) = await server.PostAsync("/serving/pricing-v1/invocations", Quotes);
        var (status2, body2) = await server.PostAsync("/serving/pricing-v2/invocations", Quotes);
        Assert.Equal(200, status1);
        Assert.Equal(200, status2);
        Assert.Equal([15.0, 6.0], Totals(body1));
        Assert.Equal([30.0, 12.0], Totals(body2));
        Assert.Equal("1", body1.GetProperty("predictions")[0].GetProperty("PricingVersion").GetString());
        Assert.Equal("2", body2.GetProperty("predictions")[0].GetProperty("PricingVersion").GetString());

        // The Open Inference Protocol reaches the same model.
        var (v2Status, v2Body) = await server.PostAsync("/v2/models/pricing-v2/infer",
            """{"inputs": [{"name": "Amount", "shape": [1], "datatype": "FP64", "data": [2.0]}, {"name": "Customer", "shape": [1], "datatype": "BYTES", "data": ["c"]}]}""");
        Assert.Equal(200, v2Status);
        var total = v2Body.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == "Total");
        Assert.Equal(6.0, total.GetProperty("data")[0].GetDouble());

        // Metrics and the prediction log see the code model like any other flavor.
        var metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Contains("model=\"pricing-v1\"", metrics, StringComparison.Ordinal);
        var logged = 0;
        for (var attempt = 0; attempt < 200 && logged < 2; attempt++)
        {
            using var page = JsonDocument.Parse(await server.Client.GetStringAsync("/api/2.0/strata/predictions?model=pricing-v2"));
            logged = page.RootElement.TryGetProperty("predictions", out var predictions) ? predictions.GetArrayLength() : 0;
            if (logged < 2)
            {
                await Task.Delay(50); // the log is written by a background batch writer
            }
        }

        Assert.Equal(2, logged);
    }

    [Fact]
    public async Task A_model_that_throws_answers_with_mlflows_error_shape_and_the_server_keeps_serving()
    {
        var folder = await builds.SavePricingAsync(builds.PricingV1);
        await using var server = await ScoringServer.StartAsync(new ServingOptions { Models = [new ServeModelSpec("pricing", folder)] });

        var (status, body) = await server.PostAsync("/invocations", """{"dataframe_split": {"columns": ["Amount", "Customer"], "data": [[1.0, "boom"]]}}""");
        Assert.Equal(400, status);
        Assert.Equal("BAD_REQUEST", body.GetProperty("error_code").GetString());
        Assert.Contains("The pricing table is broken.", body.GetProperty("message").GetString(), StringComparison.Ordinal);

        (status, body) = await server.PostAsync("/invocations", """{"dataframe_split": {"columns": ["Amount", "Customer"], "data": [[-1.0, "a"]]}}""");
        Assert.Equal(400, status);
        Assert.Equal("INVALID_PARAMETER_VALUE", body.GetProperty("error_code").GetString());
        Assert.Equal("Amount must not be negative (row 0).", body.GetProperty("message").GetString());

        (status, body) = await server.PostAsync("/invocations", Quotes);
        Assert.Equal(200, status);
        Assert.Equal([15.0, 6.0], Totals(body));
    }

    [Fact]
    public async Task Disposing_the_runtime_unloads_the_models_load_context()
    {
        var folder = await builds.SavePricingAsync(builds.PricingV1);
        var context = await LoadPredictAndDisposeAsync(folder);
        for (var i = 0; i < 20 && context.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(context.IsAlive, "the code model's AssemblyLoadContext is still alive after the runtime was disposed");
    }

    [Fact]
    public async Task A_swapped_out_version_is_unloaded_once_drained()
    {
        var folder = await builds.SavePricingAsync(builds.PricingV1);
        var context = await ServeSwapAndDrainAsync(folder);
        for (var i = 0; i < 20 && context.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(context.IsAlive, "the swapped-out version's AssemblyLoadContext is still alive after draining");
    }

    [Fact]
    public async Task A_model_built_for_a_newer_dotnet_is_refused_with_one_line()
    {
        var folder = await builds.SavePricingAsync(builds.PricingV1);
        var mlmodel = Path.Combine(folder, MlModel.FileName);
        await File.WriteAllTextAsync(mlmodel, (await File.ReadAllTextAsync(mlmodel)).Replace("target_framework: net10.0", "target_framework: net99.0", StringComparison.Ordinal));

        var error = await Assert.ThrowsAsync<MlflowException>(() => new ModelRuntimeLoader().LoadAsync(folder));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, error.Code);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains("targets net99.0 but this server runs .NET 10.0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_mlmodel_has_the_dotnet_function_flavor_and_no_python_function()
    {
        var note = Path.Combine(builds.Root, "note.txt");
        await File.WriteAllTextAsync(note, "priced by the book");
        var folder = await builds.SavePricingAsync(builds.PricingV1, new Dictionary<string, string> { ["note"] = note });

        var model = await ModelFolder.ReadMlModelAsync(folder);
        Assert.False(model.HasFlavor("python_function"));
        var flavor = model.Flavor(DotnetFunctionFlavor.Name)!;
        Assert.Equal("Tiny.Model.dll", flavor["assembly"]);
        Assert.Equal("Tiny.PricingModel", flavor["model_class"]);
        Assert.Equal("typed", flavor["interface"]);
        Assert.Equal("net10.0", flavor["target_framework"]);
        Assert.True(File.Exists(Path.Combine(folder, "code", "Tiny.Model.dll")));
        Assert.True(File.Exists(Path.Combine(folder, "code", "Tiny.Pricing.dll")));
        Assert.False(File.Exists(Path.Combine(folder, "code", "Strata.Models.Abstractions.dll")));
        Assert.True(File.Exists(Path.Combine(folder, "artifacts", "note", "note.txt")));
        Assert.Equal(["Amount", "Customer"], model.Signature!.Inputs!.Names);
        Assert.Equal(["Total", "PricingVersion", "Note"], model.Signature.Outputs!.Names);
        Assert.Equal(DataType.Double, ((ScalarColumnType)model.Signature.Inputs.Columns[0].Type).Type);

        using var runtime = await new ModelRuntimeLoader().LoadAsync(folder);
        var output = runtime.Predict(new ModelInput(ModelTensor.Column("Amount", new[] { 2.0 }), ModelTensor.Column("Customer", new[] { "x" })));
        Assert.Equal("priced by the book", ((ModelTensor<string>)output["Note"]).Span[0]);
    }

    private static double[] Totals(JsonElement body) =>
        body.GetProperty("predictions").EnumerateArray().Select(p => p.GetProperty("Total").GetDouble()).ToArray();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> LoadPredictAndDisposeAsync(string folder)
    {
        var runtime = (CodeModelRuntime)await new ModelRuntimeLoader().LoadAsync(folder);
        var output = runtime.Predict(new ModelInput(ModelTensor.Column("Amount", new[] { 2.0 }), ModelTensor.Column("Customer", new[] { "x" })));
        Assert.Equal(3.0, ((ModelTensor<double>)output["Total"]).Span[0]);
        Assert.True(runtime.LoadContext.IsAlive);
        runtime.Dispose();
        return runtime.LoadContext;
    }

    /// <summary>A route serving the code model is swapped to another version while batching; the old one drains and is disposed.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> ServeSwapAndDrainAsync(string folder)
    {
        var metrics = new ServingMetrics(null);
        var batching = new BatchingOptions { Enabled = true, MaxBatchSize = 4, MaxDelay = TimeSpan.FromMilliseconds(1) };
        var route = new ModelRoute("pricing", folder);
        var first = (CodeModelRuntime)await new ModelRuntimeLoader().LoadAsync(folder);
        var reference = first.LoadContext;
        route.Swap(new ServedModel("pricing", "1", folder, first, batching, metrics));
        var input = new ModelInput(ModelTensor.Column("Amount", new[] { 2.0 }), ModelTensor.Column("Customer", new[] { "x" }));
        var served = route.Acquire()!;
        try
        {
            var output = await served.Predictor.PredictAsync(input, CancellationToken.None);
            Assert.Equal(3.0, ((ModelTensor<double>)output["Total"]).Span[0]);
        }
        finally
        {
            ModelRoute.Release(served);
        }

        var second = await new ModelRuntimeLoader().LoadAsync(folder);
        var old = route.Swap(new ServedModel("pricing", "2", folder, second, batching, metrics));
        await old!.DrainAndDisposeAsync(TimeSpan.FromSeconds(5));
        await route.Clear()!.DisposeAsync();
        return reference;
    }
}
