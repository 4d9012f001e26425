using System.Text.Json;
using Strata.Core.Models;
using Strata.Models.Tests.Support;
using Strata.Serving.Batching;
using Strata.Serving.Hosting;
using Strata.Serving.Models;
using Strata.Serving.Runtimes;

namespace Strata.Models.Tests.CodeModels;

/// <summary>Request-time <c>params</c> reach a code model's <c>PredictAsync(input, params)</c>, checked against the signature.</summary>
public sealed class CodeModelParamsTests(CodeModelBuilds builds) : IClassFixture<CodeModelBuilds>
{
    private static readonly ParamSpec[] Discount = [new("discount", ColumnType.Of(DataType.Double), 0.1)];

    [Fact]
    public async Task The_logged_signature_declares_the_params()
    {
        var folder = await builds.SavePricingAsync(builds.PricingV1, parameters: Discount);
        var model = await ModelFolder.ReadMlModelAsync(folder);
        var spec = Assert.Single(model.Signature!.Params!);
        Assert.Equal("discount", spec.Name);
        Assert.Equal(0.1, Convert.ToDouble(spec.Default, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["Amount", "Customer"], model.Signature.Inputs!.Names);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Request_params_reach_the_model_with_the_signatures_defaults_for_the_rest(bool batching)
    {
        var folder = await builds.SavePricingAsync(builds.PricingV1, parameters: Discount);
        await using var server = await ScoringServer.StartAsync(new ServingOptions
        {
            Models = [new ServeModelSpec("pricing", folder)],
            Batching = new BatchingOptions { Enabled = batching, MaxBatchSize = 64, MaxDelay = TimeSpan.FromMilliseconds(5) },
        });

        // PricingV1 multiplies by 1.5, then takes the discount off.
        var (status, body) = await server.PostAsync("/invocations",
            """{"dataframe_split": {"columns": ["Amount", "Customer"], "data": [[10.0, "a"]]}, "params": {"discount": 0.5}}""");
        Assert.Equal(200, status);
        Assert.Equal(7.5, Total(body), 9);

        // No params: the declared default (0.1).
        (status, body) = await server.PostAsync("/invocations", """{"dataframe_split": {"columns": ["Amount", "Customer"], "data": [[10.0, "a"]]}}""");
        Assert.Equal(200, status);
        Assert.Equal(13.5, Total(body), 9);

        // A param the signature does not declare is ignored, as MLflow does.
        (status, body) = await server.PostAsync("/invocations",
            """{"dataframe_split": {"columns": ["Amount", "Customer"], "data": [[10.0, "a"]]}, "params": {"surcharge": 3}}""");
        Assert.Equal(200, status);
        Assert.Equal(13.5, Total(body), 9);

        // A declared param of the wrong type is the client's mistake, named.
        (status, body) = await server.PostAsync("/invocations",
            """{"dataframe_split": {"columns": ["Amount", "Customer"], "data": [[10.0, "a"]]}, "params": {"discount": "half"}}""");
        Assert.Equal(400, status);
        Assert.Equal("INVALID_PARAMETER_VALUE", body.GetProperty("error_code").GetString());
        Assert.Contains("'discount'", body.GetProperty("message").GetString(), StringComparison.Ordinal);

        // Concurrent requests with different params each get their own (never scored in one call with another's).
        var discounts = Enumerable.Range(0, 24).Select(i => i % 4 * 0.25).ToArray();
        var answers = await Task.WhenAll(discounts.Select(d => server.PostAsync("/invocations",
            "{\"dataframe_split\": {\"columns\": [\"Amount\", \"Customer\"], \"data\": [[2.0, \"c\"], [4.0, \"d\"]]}, \"params\": {\"discount\": "
            + d.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}}")));
        for (var i = 0; i < discounts.Length; i++)
        {
            Assert.Equal(200, answers[i].Status);
            var totals = answers[i].Body.GetProperty("predictions").EnumerateArray().Select(p => p.GetProperty("Total").GetDouble()).ToArray();
            Assert.Equal(2.0 * 1.5 * (1 - discounts[i]), totals[0], 9);
            Assert.Equal(4.0 * 1.5 * (1 - discounts[i]), totals[1], 9);
        }
    }

    [Fact]
    public async Task A_direct_call_gets_the_given_params_merged_with_the_defaults()
    {
        var folder = await builds.SavePricingAsync(builds.PricingV1, parameters: Discount);
        using var runtime = await new ModelRuntimeLoader().LoadAsync(folder);
        Assert.True(runtime.TakesParams);
        var columns = new ModelTensor[] { ModelTensor.Column("Amount", new[] { 2.0 }), ModelTensor.Column("Customer", new[] { "x" }) };

        var withDefault = runtime.Predict(new ModelInput(columns));
        Assert.Equal(2.0 * 1.5 * 0.9, ((ModelTensor<double>)withDefault["Total"]).Span[0], 9);

        var given = runtime.Predict(new ModelInput(columns) { Params = new Dictionary<string, object?> { ["discount"] = 0.25 } });
        Assert.Equal(2.0 * 1.5 * 0.75, ((ModelTensor<double>)given["Total"]).Span[0], 9);
    }

    [Fact]
    public async Task Native_flavors_do_not_take_params()
    {
        using var runtime = await new ModelRuntimeLoader().LoadAsync(builds.ClassifierFolder);
        Assert.False(runtime.TakesParams);
    }

    private static double Total(JsonElement body) => body.GetProperty("predictions")[0].GetProperty("Total").GetDouble();
}
