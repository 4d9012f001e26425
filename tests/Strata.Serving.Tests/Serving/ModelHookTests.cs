using Microsoft.Extensions.DependencyInjection;
using Strata.Serving.Hosting;
using Strata.Serving.Models;
using static Strata.Serving.Tests.Serving.RequestBodies;

namespace Strata.Serving.Tests.Serving;

/// <summary>The houses model behind a hook: a model slower than the request timeout, and a model that throws.</summary>
[Collection(ServingCollection.Name)]
public sealed class ModelHookTests(ServingFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(150);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_model_slower_than_the_timeout_is_504(bool batching)
    {
        // Batching off the model runs inline and is answered 504 once it returns; batching on the request stops
        // waiting at the deadline. Either way the hook holds the model past the timeout, and not much longer.
        using var release = new ManualResetEventSlim();
        await using var host = await StartAsync(batching, () => release.Wait(Timeout * 3));
        var (status, _, text) = await host.CallAsync("/serving/houses/invocations", Split(fixture.Models.Houses.Take(2)));
        release.Set();
        Assert.Equal(504, status);
        Assert.Equal(ServingRequestHandler.TimeoutMessage, text);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_exception_inside_the_model_is_400_with_mlflows_message_and_a_stack_trace(bool batching)
    {
        await using var host = await StartAsync(batching, () => throw new InvalidOperationException("the model broke"));
        var (status, json, text) = await host.CallAsync("/serving/houses/invocations", Split(fixture.Models.Houses.Take(2)));
        Assert.True(status == 400, text);
        Assert.Equal("BAD_REQUEST", json.GetProperty("error_code").GetString());
        Assert.StartsWith("Encountered an unexpected error while evaluating the model. Verify that the serialized input Dataframe is compatible with the model for inference.",
            json.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("the model broke", json.GetProperty("stack_trace").GetString(), StringComparison.Ordinal);

        var (v2Status, v2, v2Text) = await host.CallAsync("/v2/models/houses/infer", V2Houses(fixture.Models.Houses.Take(2)));
        Assert.True(v2Status == 400, v2Text);
        Assert.Contains("the model broke", v2.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private Task<ServingTestHost> StartAsync(bool batching, Action hook) =>
        ServingTestHost.StartAsync(
            new ServingOptions
            {
                Models = [new ServeModelSpec(ServingFixture.Houses, fixture.HousesPath)],
                RequestTimeout = Timeout,
                Batching = fixture.Options(batching).Batching,
            },
            predictionLog: false,
            configure: b => b.Services.AddSingleton(new ModelRuntimeLoader([new HookedMlnetLoader(hook)])));
}
