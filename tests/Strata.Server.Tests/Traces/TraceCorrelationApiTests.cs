using System.Net;
using Strata.Server.Tests.Infrastructure;
using static Strata.Server.Tests.Traces.TraceTestPayloads;

namespace Strata.Server.Tests.Traces;

/// <summary>POST /api/3.0/mlflow/traces/calculate-filter-correlation with the body MLflow 3.5's RestStore sends.</summary>
public sealed class TraceCorrelationApiTests(StrataServerFixture fixture) : IClassFixture<StrataServerFixture>
{
    private const string Path = V3 + "/calculate-filter-correlation";

    private StrataTestServer Server => fixture.Server;

    [Fact]
    public async Task Counts_and_npmi_as_MLflow_returns_them()
    {
        var experimentId = await Server.CreateExperimentAsync();
        for (var i = 0; i < 8; i++)
        {
            // team b on odd traces, ERROR on traces 1 and 3 (both team b); the second half starts later.
            await Server.StartAsync(StartTrace(NewTraceId(), experimentId, requestTimeMs: 1_000 + i, state: i is 1 or 3 ? "ERROR" : "OK", team: i % 2 == 1 ? "b" : "a"));
        }

        // Exactly what RestStore.calculate_trace_filter_correlation posts (message_to_json of the request).
        var body = $$"""{"experiment_ids": ["{{experimentId}}"], "filter_string1": "tags.team = 'b'", "filter_string2": "attributes.status = 'ERROR'"}""";
        var result = (await Server.PostAsync(Path, body)).Ok();
        Assert.Equal(8, result.GetProperty("total_count").GetInt32());
        Assert.Equal(4, result.GetProperty("filter1_count").GetInt32());
        Assert.Equal(2, result.GetProperty("filter2_count").GetInt32());
        Assert.Equal(2, result.GetProperty("joint_count").GetInt32());
        // n11=2, n10=2, n01=0, n00=4: MLflow's values for these counts.
        Assert.Equal(0.5, result.GetProperty("npmi").GetDouble(), 12);
        Assert.True(result.TryGetProperty("npmi_smoothed", out _));

        var windowed = (await Server.PostAsync(Path, $$"""
            {"experiment_ids": ["{{experimentId}}"], "filter_string1": "tags.team = 'b'", "filter_string2": "attributes.status = 'ERROR'",
             "base_filter": "attributes.timestamp_ms >= 1004"}
            """)).Ok();
        Assert.Equal(4, windowed.GetProperty("total_count").GetInt32());
        Assert.Equal(2, windowed.GetProperty("filter1_count").GetInt32());
        Assert.Equal(0, windowed.GetProperty("filter2_count").GetInt32());
        // Undefined (a filter matches nothing): MLflow leaves the NPMI fields out.
        Assert.False(windowed.TryGetProperty("npmi", out _));
        Assert.False(windowed.TryGetProperty("npmi_smoothed", out _));
        Assert.Equal(HttpStatusCode.OK, (await Server.PostAsync("/ajax-api/3.0/mlflow/traces/calculate-filter-correlation", body)).Status);
    }

    [Fact]
    public async Task Bad_requests_name_the_field()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var missing = (await Server.PostAsync(Path, $$"""{"experiment_ids": ["{{experimentId}}"], "filter_string2": "status = 'OK'"}""")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        Assert.Contains("filter_string1", missing.Json.GetProperty("message").GetString());
        (await Server.PostAsync(Path, """{"filter_string1": "status = 'OK'", "filter_string2": "status = 'OK'"}""")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        var grammar = (await Server.PostAsync(Path, $$"""{"experiment_ids": ["{{experimentId}}"], "filter_string1": "tags.team = ", "filter_string2": "status = 'OK'"}"""))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        Assert.Contains("position", grammar.Json.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
    }
}
