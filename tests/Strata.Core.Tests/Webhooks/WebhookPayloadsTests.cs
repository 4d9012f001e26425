using System.Net;
using System.Text.Json;
using Strata.Core.Errors;
using Strata.Core.Registry;
using Strata.Core.Webhooks;

namespace Strata.Core.Tests.Webhooks;

public sealed class WebhookPayloadsTests
{
    private static RegistryEvent Event(string type, long? version, string? before, string? after) =>
        new(7, 1_700_000_000_123, "alice", type, "churn", version, before, after);

    private static JsonElement Data(WebhookMessage? message) => JsonDocument.Parse(message!.Data).RootElement;

    [Fact]
    public void Signature_matches_python_hmac_of_delivery_timestamp_and_payload()
    {
        // python: base64(hmac.new(b"s3cr3t", b'd-1.1700000000.{"a": 1}', sha256).digest())
        Assert.Equal("v1,YLiF/mt4EW3rXgrVC0OyPc7r/DFYV2DleqhMPBoUf/k=", WebhookSignature.Sign("s3cr3t", "d-1", "1700000000", "{\"a\": 1}"));
        Assert.True(WebhookSignature.Verify("s3cr3t", "d-1", "1700000000", "{\"a\": 1}", "v1,YLiF/mt4EW3rXgrVC0OyPc7r/DFYV2DleqhMPBoUf/k="));
        Assert.False(WebhookSignature.Verify("other", "d-1", "1700000000", "{\"a\": 1}", "v1,YLiF/mt4EW3rXgrVC0OyPc7r/DFYV2DleqhMPBoUf/k="));
        Assert.False(WebhookSignature.Verify("s3cr3t", "d-1", "1700000000", "{\"a\": 1}", null));
    }

    [Fact]
    public void Model_and_version_creation_carry_mlflow_payloads()
    {
        var model = WebhookPayloads.FromRegistryEvent(Event(RegistryEventTypes.RegisteredModelCreated, null, null,
            """{"name":"churn","description":"d","tags":[{"key":"team","value":"risk"}]}"""), modelIsPrompt: false);
        Assert.Equal(new WebhookEvent("registered_model", "created"), model!.Event);
        Assert.Equal("""{"name":"churn","tags":{"team":"risk"},"description":"d"}""", model.Data);

        var version = WebhookPayloads.FromRegistryEvent(Event(RegistryEventTypes.ModelVersionCreated, 3, null,
            """{"name":"churn","version":"3","source":"runs:/r/model","run_id":"r","tags":[]}"""), modelIsPrompt: false);
        Assert.Equal("model_version.created", version!.Event.ToString());
        Assert.Equal("""{"name":"churn","version":"3","source":"runs:/r/model","run_id":"r","tags":{},"description":null}""", version.Data);
    }

    [Fact]
    public void Prompts_get_prompt_events_without_their_internal_tags()
    {
        var prompt = WebhookPayloads.FromRegistryEvent(Event(RegistryEventTypes.RegisteredModelCreated, null, null,
            """{"name":"churn","tags":[{"key":"mlflow.prompt.is_prompt","value":"true"},{"key":"team","value":"nlp"}]}"""), modelIsPrompt: false);
        Assert.Equal("prompt.created", prompt!.Event.ToString());
        Assert.Equal("""{"name":"churn","tags":{"team":"nlp"},"description":null}""", prompt.Data);

        var version = WebhookPayloads.FromRegistryEvent(Event(RegistryEventTypes.ModelVersionCreated, 1, null,
            """{"name":"churn","version":"1","source":"dummy-source","tags":[{"key":"mlflow.prompt.is_prompt","value":"true"},{"key":"mlflow.prompt.text","value":"Hi {{ name }}"},{"key":"_mlflow_prompt_type","value":"text"}]}"""),
            modelIsPrompt: true);
        Assert.Equal("prompt_version.created", version!.Event.ToString());
        Assert.Equal("Hi {{ name }}", Data(version).GetProperty("template").GetString());
        Assert.Empty(Data(version).GetProperty("tags").EnumerateObject());

        var alias = WebhookPayloads.FromRegistryEvent(Event(RegistryEventTypes.AliasSet, 1, null, """{"alias":"prod","version":"1"}"""), modelIsPrompt: true);
        Assert.Equal("prompt_alias.created", alias!.Event.ToString());
        Assert.Equal("""{"name":"churn","alias":"prod","version":"1"}""", alias.Data);
    }

    [Fact]
    public void Tags_and_aliases_follow_the_model()
    {
        var set = WebhookPayloads.FromRegistryEvent(Event(RegistryEventTypes.ModelVersionTagSet, 2, null, """{"key":"k","value":"v"}"""), false);
        Assert.Equal(("model_version_tag.set", """{"name":"churn","version":"2","key":"k","value":"v"}"""), (set!.Event.ToString(), set.Data));
        var deleted = WebhookPayloads.FromRegistryEvent(Event(RegistryEventTypes.ModelVersionTagDeleted, 2, """{"key":"k","value":"v"}""", null), false);
        Assert.Equal(("model_version_tag.deleted", """{"name":"churn","version":"2","key":"k"}"""), (deleted!.Event.ToString(), deleted.Data));
        var unalias = WebhookPayloads.FromRegistryEvent(Event(RegistryEventTypes.AliasDeleted, 2, """{"alias":"prod","version":"2"}""", null), false);
        Assert.Equal(("model_version_alias.deleted", """{"name":"churn","alias":"prod"}"""), (unalias!.Event.ToString(), unalias.Data));
        var promptTag = WebhookPayloads.FromRegistryEvent(Event(RegistryEventTypes.RegisteredModelTagSet, null, null, """{"key":"k","value":"v"}"""), true);
        Assert.Equal(("prompt_tag.set", """{"name":"churn","key":"k","value":"v"}"""), (promptTag!.Event.ToString(), promptTag.Data));
    }

    [Theory]
    [InlineData(RegistryEventTypes.RegisteredModelTagSet)] // MLflow sends model tag events only for prompts
    [InlineData(RegistryEventTypes.RegisteredModelDeleted)]
    [InlineData(RegistryEventTypes.ModelVersionStageTransitioned)]
    [InlineData(RegistryEventTypes.RegisteredModelRenamed)]
    public void Events_mlflow_has_no_webhook_for_give_none(string type) =>
        Assert.Null(WebhookPayloads.FromRegistryEvent(Event(type, null, "{}", """{"key":"k","value":"v"}"""), modelIsPrompt: false));

    [Fact]
    public void Envelope_is_mlflows()
    {
        var body = WebhookPayloads.Envelope(new WebhookEvent("model_version", "created"), DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123), """{"name":"x"}""");
        Assert.Equal("""{"entity":"model_version","action":"created","timestamp":"2023-11-14T22:13:20.123000+00:00","data":{"name":"x"}}""", body);
    }

    [Fact]
    public void Every_valid_event_has_an_example_payload()
    {
        Assert.Equal(14, WebhookEvent.All.Count(e => !e.IsStrata));
        Assert.Equal(7, WebhookEvent.All.Count(e => e.IsStrata)); // deployment x3, alert x2, job, policy
        foreach (var e in WebhookEvent.All)
        {
            var data = Data(WebhookPayloads.Example(e));
            Assert.True(data.TryGetProperty(e.Entity == "policy" ? "decision_id" : "name", out _), e.ToString());
        }
    }

    [Theory]
    [InlineData("deployment.created", "deployment.created", null)]
    [InlineData("deployment.rolled_back", "deployment.updated", null)]
    [InlineData("deployment.deleted", "deployment.deleted", null)]
    [InlineData("deployment.drift_share.exceeded", "alert.fired", "drift_share")]
    [InlineData("deployment.latency_p99.recovered", "alert.resolved", "latency_p99")]
    [InlineData("deployment.error_rate.exceeded", "alert.fired", "error_rate")]
    [InlineData("job.finished", "job.finished", null)]
    [InlineData("policy.decided", "policy.decided", null)]
    public void Strata_events_carry_their_after_json(string type, string expected, string? alert)
    {
        var message = WebhookPayloads.FromRegistryEvent(Event(type, 1, null, "{\"deployment\":\"d\",\"n\":1.5}"), modelIsPrompt: false);
        Assert.Equal(expected, message!.Event.ToString());
        var data = Data(message);
        Assert.Equal(1.5, data.GetProperty("n").GetDouble());
        Assert.Equal(alert, data.TryGetProperty("alert", out var a) ? a.GetString() : null);
    }

    [Theory]
    [InlineData("deployment.exceeded", "{}")]
    [InlineData("job.finished", "not json")]
    [InlineData("job.finished", "[1]")]
    [InlineData("job.started", "{}")]
    public void Unknown_or_malformed_strata_rows_are_not_delivered(string type, string after) =>
        Assert.Null(WebhookPayloads.FromRegistryEvent(Event(type, null, null, after), modelIsPrompt: false));

    [Theory]
    [InlineData("MODEL_VERSION", "CREATED", "model_version.created")]
    [InlineData("prompt_alias", "deleted", "prompt_alias.deleted")]
    public void Events_parse_from_wire_names(string entity, string action, string expected) =>
        Assert.Equal(expected, WebhookEvent.Parse(entity, action).ToString());

    [Theory]
    [InlineData("MODEL_VERSION", "SET")]
    [InlineData("REGISTERED_MODEL", "DELETED")]
    [InlineData("RUN", "CREATED")]
    [InlineData("MODEL_VERSION", "EXPLODED")]
    [InlineData(null, "CREATED")]
    public void Invalid_events_are_400(string? entity, string action) =>
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, Assert.Throws<MlflowException>(() => WebhookEvent.Parse(entity, action)).Code);

    [Theory]
    [InlineData("a")]
    [InlineData("ci-hook.v2_final")]
    public void Valid_names_pass(string name) => Assert.Equal(name, WebhookValidation.Name(name));

    [Theory]
    [InlineData("")]
    [InlineData("-lead")]
    [InlineData("trail.")]
    [InlineData("has space")]
    [InlineData(null)]
    public void Invalid_names_are_400(string? name) => Assert.Throws<MlflowException>(() => WebhookValidation.Name(name));

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://[fe80::1]/x")]
    [InlineData("http://metadata.google.internal/computeMetadata")]
    [InlineData("http://[::ffff:169.254.169.254]/x")]
    public void Metadata_and_link_local_urls_are_refused(string url) =>
        Assert.Throws<MlflowException>(() => WebhookAddressPolicy.Default.CheckUrl(WebhookValidation.Url(url)));

    [Theory]
    [InlineData("ftp://example.com/x")]
    [InlineData("not a url")]
    [InlineData("   ")]
    public void Bad_urls_are_400(string url) => Assert.Throws<MlflowException>(() => WebhookValidation.Url(url));

    [Fact]
    public void Allow_list_narrows_hosts_and_resolved_addresses_are_checked()
    {
        var policy = new WebhookAddressPolicy(["hooks.example.com"], WebhookAddressPolicy.DefaultDeniedNetworks, []);
        policy.CheckUrl(new Uri("https://hooks.example.com/x"));
        Assert.Throws<MlflowException>(() => policy.CheckUrl(new Uri("https://other.example.com/x")));
        Assert.True(WebhookAddressPolicy.Default.IsAllowed(IPAddress.Loopback));
        Assert.False(WebhookAddressPolicy.Default.IsAllowed(IPAddress.Parse("169.254.169.254")));
        Assert.False(WebhookAddressPolicy.Default.IsAllowed(IPAddress.Parse("::ffff:169.254.169.254")));
    }
}
