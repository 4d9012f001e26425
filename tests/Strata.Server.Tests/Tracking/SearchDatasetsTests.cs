using System.Net;
using System.Text.Json;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Tracking;

public sealed class SearchDatasetsTests(StrataServerFixture fixture) : IClassFixture<StrataServerFixture>
{
    private StrataTestServer Server => fixture.Server;

    private static object Input(string name, string digest, string? context) => new
    {
        tags = context is null ? Array.Empty<object>() : new object[] { new { key = "mlflow.data.context", value = context } },
        dataset = new { name, digest, source_type = "local", source = "{}" },
    };

    private async Task LogInputsAsync(string experimentId, params object[] datasets)
    {
        var runId = await Server.CreateRunIdAsync(experimentId);
        (await Server.PostAsync(TrackingClient.Api + "runs/log-inputs", new { run_id = runId, datasets })).Ok();
    }

    private static List<(string Exp, string Name, string Digest, string? Context)> Summaries(JsonElement body) =>
        body.List("dataset_summaries").Select(s => (
            s.GetProperty("experiment_id").GetString()!,
            s.GetProperty("name").GetString()!,
            s.GetProperty("digest").GetString()!,
            s.TryGetProperty("context", out var c) ? c.GetString() : null)).ToList();

    [Fact]
    public async Task Lists_each_dataset_and_context_once_per_experiment_under_both_prefixes()
    {
        var a = await Server.CreateExperimentAsync();
        var b = await Server.CreateExperimentAsync();
        var other = await Server.CreateExperimentAsync();
        await LogInputsAsync(a, Input("iris", "d1", "training"), Input("wine", "d2", null));
        await LogInputsAsync(a, Input("iris", "d1", "training"));
        await LogInputsAsync(a, Input("iris", "d1", "eval"));
        await LogInputsAsync(b, Input("iris", "d9", "eval"));
        await LogInputsAsync(other, Input("hidden", "d0", "training"));

        foreach (var prefix in new[] { "/ajax-api/2.0/mlflow/", TrackingClient.Api })
        {
            var body = (await Server.PostAsync(prefix + "experiments/search-datasets", new { experiment_ids = new[] { a, b } })).Ok();
            Assert.Equal(
                [(a, "iris", "d1", "eval"), (a, "iris", "d1", "training"), (a, "wine", "d2", null), (b, "iris", "d9", "eval")],
                Summaries(body));
        }
    }

    [Fact]
    public async Task Empty_for_unknown_experiments_and_rejects_more_than_twenty()
    {
        var empty = (await Server.PostAsync(TrackingClient.Api + "experiments/search-datasets", new { experiment_ids = new[] { "987654", "not-a-number" } })).Ok();
        Assert.Empty(Summaries(empty));

        var tooMany = Enumerable.Range(1, 21).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        (await Server.PostAsync(TrackingClient.Api + "experiments/search-datasets", new { experiment_ids = tooMany }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }
}
