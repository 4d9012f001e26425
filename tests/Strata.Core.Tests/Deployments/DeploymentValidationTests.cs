using System.Text.Json;
using Strata.Core.Deployments;
using Strata.Core.Errors;

namespace Strata.Core.Tests.Deployments;

public sealed class DeploymentValidationTests
{
    private static DeploymentSpec Read(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return DeploymentJson.ReadSpec(doc.RootElement);
    }

    private static string Refused(string json)
    {
        var e = Assert.Throws<MlflowException>(() => DeploymentValidation.Validate(Read(json)));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, e.Code);
        return e.Message;
    }

    [Fact]
    public void A_full_spec_round_trips_through_its_json_form()
    {
        var spec = new DeploymentSpec(
            [new RouteTarget(new ModelTarget("churn", null, "champion"), 90), new RouteTarget(new ModelTarget("churn", 3, null), 10)],
            new ModelTarget("churn", null, "candidate"),
            new StickyKey(StickyKeySource.Column, "customer_id"),
            new DeploymentSettings { EnableBatching = true, MaxBatchSize = 32, MaxBatchDelayMs = 3, LogSampleRate = 0.25, TimeoutSeconds = 5 },
            "canary");
        var back = DeploymentJson.DeserializeSpec(DeploymentJson.SerializeSpec(spec));
        Assert.Equal(spec.Route, back.Route);
        Assert.Equal(spec with { Route = back.Route }, back);
        DeploymentValidation.Validate(back);
    }

    [Fact]
    public void A_single_version_needs_no_weight()
    {
        var spec = Read("""{"route": [{"model_name": "m", "version": "2"}]}""");
        Assert.Equal(100, Assert.Single(spec.Route).Weight);
        DeploymentValidation.Validate(spec);
    }

    [Theory]
    [InlineData("""{"route": [{"model_name": "m", "version": 1, "weight": 60}, {"model_name": "m", "version": 2, "weight": 30}]}""", "weights must add up to 100, got 90")]
    [InlineData("""{"route": [{"model_name": "m", "version": 1, "weight": 110}, {"model_name": "m", "version": 2, "weight": -10}]}""", "route[0].weight")]
    [InlineData("""{"route": [{"model_name": "m", "version": 1, "weight": 50}, {"model_name": "m", "version": 1, "weight": 50}]}""", "route[1]' names m/1 a second time")]
    [InlineData("""{"route": []}""", "at least one")]
    [InlineData("""{"route": [{"model_name": "m", "version": 1}], "settings": {"log_sample_rate": 2}}""", "settings.log_sample_rate")]
    [InlineData("""{"route": [{"model_name": "m", "version": 1}], "settings": {"max_batch_size": 0}}""", "settings.max_batch_size")]
    [InlineData("""{"route": [{"model_name": "m", "version": 1}], "settings": {"timeout_seconds": 0}}""", "settings.timeout_seconds")]
    public void Bad_specs_are_refused_naming_the_field(string json, string expected) =>
        Assert.Contains(expected, Refused(json), StringComparison.Ordinal);

    [Theory]
    [InlineData("""{"route": [{"model_name": "m", "version": 1, "alias": "a"}]}""", "route[0]' must give exactly one of 'version' or 'alias'")]
    [InlineData("""{"route": [{"version": 1}]}""", "route[0].model_name")]
    [InlineData("""{"route": [{"model_name": "m", "version": "x"}]}""", "route[0].version")]
    [InlineData("""{"route": [{"model_name": "m", "version": 1}, {"model_name": "m", "version": 2}]}""", "route[0].weight")]
    [InlineData("""{"route": [{"model_name": "m", "version": 1}], "sticky_key": {"header": "a", "column": "b"}}""", "exactly one of 'header' or 'column'")]
    [InlineData("""{"route": [{"model_name": "m", "version": 1, "weight": "lots"}]}""", "route[0].weight")]
    [InlineData("""{"route": {"model_name": "m"}}""", "'route' must be a list")]
    [InlineData("""{}""", "route")]
    public void Malformed_specs_are_refused_naming_the_field(string json, string expected)
    {
        var e = Assert.Throws<MlflowException>(() => Read(json));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("churn@champion=90", "churn", null, "champion", 90)]
    [InlineData("churn/3=10", "churn", 3L, null, 10)]
    [InlineData("team/churn@new", "team/churn", null, "new", 100)]
    [InlineData("churn/12", "churn", 12L, null, 100)]
    public void Cli_targets_parse(string text, string model, long? version, string? alias, double weight)
    {
        var target = DeploymentValidation.ParseTarget(text, "--route");
        Assert.Equal(new RouteTarget(new ModelTarget(model, version, alias), weight), target);
    }

    [Theory]
    [InlineData("churn")]
    [InlineData("churn/x=5")]
    [InlineData("churn@a=five")]
    public void Bad_cli_targets_are_refused(string text) =>
        Assert.Throws<MlflowException>(() => DeploymentValidation.ParseTarget(text, "--route"));

    [Theory]
    [InlineData("churn-api")]
    [InlineData("a.b_c-1")]
    public void Names_that_fit_in_a_url_are_accepted(string name) => Assert.Equal(name, DeploymentValidation.RequireName(name));

    [Theory]
    [InlineData("a/b")]
    [InlineData("-a")]
    [InlineData("a b")]
    public void Names_that_do_not_fit_in_a_url_are_refused(string name) =>
        Assert.Contains("'name'", Assert.Throws<MlflowException>(() => DeploymentValidation.RequireName(name)).Message, StringComparison.Ordinal);
}
