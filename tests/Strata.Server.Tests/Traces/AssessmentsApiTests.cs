using System.Net;
using System.Text.Json;
using Strata.Server.Tests.Infrastructure;
using static Strata.Server.Tests.Traces.TraceTestPayloads;

namespace Strata.Server.Tests.Traces;

/// <summary>Feedback and expectations on traces over HTTP, with the bodies <c>log_feedback</c>/<c>log_expectation</c> send.</summary>
public sealed class AssessmentsApiTests(StrataServerFixture fixture) : IClassFixture<StrataServerFixture>
{
    private StrataTestServer Server => fixture.Server;

    private async Task<string> NewTraceAsync()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var traceId = NewTraceId();
        await Server.StartAsync(StartTrace(traceId, experimentId));
        return traceId;
    }

    private async Task<JsonElement> CreateAsync(string traceId, string body) =>
        (await Server.PostAsync($"{V3}/{traceId}/assessments", body)).Ok().GetProperty("assessment");

    [Fact]
    public async Task Feedback_and_expectations_are_created_returned_in_trace_info_and_read_back()
    {
        var traceId = await NewTraceAsync();
        var feedback = await CreateAsync(traceId, Feedback(traceId));
        Assert.StartsWith("a-", feedback.GetProperty("assessment_id").GetString(), StringComparison.Ordinal);
        Assert.Equal("correctness", feedback.GetProperty("assessment_name").GetString());
        Assert.True(feedback.GetProperty("feedback").GetProperty("value").GetBoolean());
        Assert.Equal("looks right", feedback.GetProperty("rationale").GetString());
        Assert.Equal("LLM_JUDGE", feedback.GetProperty("source").GetProperty("source_type").GetString());
        Assert.Equal("gpt-4", feedback.GetProperty("source").GetProperty("source_id").GetString());
        Assert.Equal("2025-01-01T00:00:01.598Z", feedback.GetProperty("create_time").GetString());
        Assert.Equal("v", feedback.GetProperty("metadata").GetProperty("k").GetString());
        Assert.True(feedback.GetProperty("valid").GetBoolean());

        var expectation = await CreateAsync(traceId, Expectation(traceId));
        var serialized = expectation.GetProperty("expectation").GetProperty("serialized_value");
        Assert.Equal("JSON_FORMAT", serialized.GetProperty("serialization_format").GetString());
        Assert.Equal("{\"answer\": \"hello\", \"n\": [1, 2]}", serialized.GetProperty("value").GetString());

        var failed = await CreateAsync(traceId, FeedbackError(traceId));
        Assert.Equal(JsonValueKind.Null, failed.GetProperty("feedback").GetProperty("value").ValueKind);
        Assert.Equal("RATE_LIMIT", failed.GetProperty("feedback").GetProperty("error").GetProperty("error_code").GetString());

        var info = (await Server.GetAsync($"{V3}/{traceId}")).Ok().GetProperty("trace").GetProperty("trace_info");
        var listed = info.List("assessments");
        Assert.Equal(3, listed.Count);
        Assert.Equal(feedback.GetRawText(), listed[0].GetRawText());

        var id = feedback.GetProperty("assessment_id").GetString();
        var fetched = (await Server.GetAsync($"{V3}/{traceId}/assessments/{id}")).Ok().GetProperty("assessment");
        Assert.Equal(feedback.GetRawText(), fetched.GetRawText());
    }

    [Fact]
    public async Task Update_applies_the_masked_fields_only()
    {
        var traceId = await NewTraceAsync();
        var id = (await CreateAsync(traceId, Feedback(traceId))).GetProperty("assessment_id").GetString()!;
        var response = await Server.SendAsync(HttpMethod.Patch, $"{V3}/{traceId}/assessments/{id}", Update(traceId, id), "application/json");
        var updated = response.Ok().GetProperty("assessment");
        Assert.Equal("new", updated.GetProperty("assessment_name").GetString());
        Assert.Equal(0.5, updated.GetProperty("feedback").GetProperty("value").GetDouble());
        Assert.Equal("r", updated.GetProperty("rationale").GetString());
        Assert.Equal("gpt-4", updated.GetProperty("source").GetProperty("source_id").GetString());
        Assert.Equal("v", updated.GetProperty("metadata").GetProperty("k").GetString());
        Assert.Equal("2025-01-01T00:00:01.598Z", updated.GetProperty("create_time").GetString());
        Assert.NotEqual("2025-01-01T00:00:01.598Z", updated.GetProperty("last_update_time").GetString());

        var expectationId = (await CreateAsync(traceId, Expectation(traceId))).GetProperty("assessment_id").GetString()!;
        (await Server.SendAsync(HttpMethod.Patch, $"{V3}/{traceId}/assessments/{expectationId}", Update(traceId, expectationId), "application/json"))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PatchAsync($"{V3}/{traceId}/assessments/{id}", new { assessment = new { assessment_name = "x" } }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PatchAsync($"{V3}/{traceId}/assessments/{id}", new { assessment = new { assessment_name = "x" }, update_mask = "bogus" }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task An_override_invalidates_the_original_until_it_is_deleted()
    {
        var traceId = await NewTraceAsync();
        var original = (await CreateAsync(traceId, Feedback(traceId))).GetProperty("assessment_id").GetString()!;
        var replacement = await CreateAsync(traceId, Override(traceId, original));
        Assert.Equal(original, replacement.GetProperty("overrides").GetString());

        var get = async () => (await Server.GetAsync($"{V3}/{traceId}/assessments/{original}")).Ok().GetProperty("assessment").GetProperty("valid").GetBoolean();
        Assert.False(await get());

        (await Server.DeleteAsync($"{V3}/{traceId}/assessments/{replacement.GetProperty("assessment_id").GetString()}")).Ok();
        Assert.True(await get());

        (await Server.PostAsync($"{V3}/{traceId}/assessments", Override(traceId, "a-missing"))).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Assessment_errors_use_mlflow_codes()
    {
        var traceId = await NewTraceAsync();
        (await Server.PostAsync($"{V3}/tr-unknown/assessments", Feedback("tr-unknown"))).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync($"{V3}/{traceId}/assessments/a-unknown")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync($"{V3}/tr-unknown/assessments/a-unknown")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync($"{V3}/{traceId}/assessments", "{}")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync($"{V3}/{traceId}/assessments", new { assessment = new { feedback = new { value = 1 } } }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync($"{V3}/{traceId}/assessments", new { assessment = new { assessment_name = "x" } }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync($"{V3}/{traceId}/assessments", new { assessment = new { assessment_name = "x", feedback = new { value = 1 }, source = new { source_type = "ROBOT" } } }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        // Deleting what is not there is not an error (MLflow's delete is idempotent).
        (await Server.DeleteAsync($"{V3}/{traceId}/assessments/a-unknown")).Ok();
    }
}
