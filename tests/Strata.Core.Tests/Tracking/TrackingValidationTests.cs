using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Core.Tests.Tracking;

public sealed class TrackingValidationTests
{
    [Theory]
    [InlineData("loss")]
    [InlineData("train/loss")]
    [InlineData("a.b-c d:e_f")]
    [InlineData("métrique_ü")]
    [InlineData("a/b/c")]
    [InlineData("..a")] // normalises to itself; only a leading ".." segment matters... but MLflow rejects names starting with ".."
    public void Accepts_or_rejects_keys_like_mlflow(string key)
    {
        if (key.StartsWith("..", StringComparison.Ordinal))
        {
            Assert.Throws<MlflowException>(() => TrackingValidation.ValidateKey(key, "metric", "key"));
        }
        else
        {
            Assert.Equal(key, TrackingValidation.ValidateKey(key, "metric", "key"));
        }
    }

    [Theory]
    [InlineData("a//b")]
    [InlineData("a/./b")]
    [InlineData("a/")]
    [InlineData("/a")]
    [InlineData(".")]
    [InlineData("../x")]
    [InlineData("a/../b")]
    [InlineData("a\nb")]
    [InlineData("a\n")]
    [InlineData("a;drop")]
    [InlineData("a'b")]
    [InlineData("a%b")]
    public void Rejects_bad_keys(string key)
    {
        var ex = Assert.Throws<MlflowException>(() => TrackingValidation.ValidateKey(key, "metric", "metrics[2].key"));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, ex.Code);
        Assert.Contains("metrics[2].key", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Missing_key_names_the_field(string? key)
    {
        var ex = Assert.Throws<MlflowException>(() => TrackingValidation.ValidateKey(key, "param", "params[0].key"));
        Assert.Contains("Missing value for required parameter 'params[0].key'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("loss")]
    [InlineData("a/b")]
    [InlineData("a.b/c d")]
    [InlineData("..a")]
    [InlineData("a/..")]
    [InlineData("a//b")]
    [InlineData("/a")]
    [InlineData("a/")]
    [InlineData(".")]
    [InlineData("./a")]
    [InlineData("a/./b")]
    [InlineData("a.")]
    [InlineData("")]
    [InlineData("a\nb")]
    public void Fast_key_check_agrees_with_the_full_rules(string key)
    {
        bool full;
        try
        {
            TrackingValidation.ValidateKey(key, "metric", "key");
            full = true;
        }
        catch (MlflowException)
        {
            full = false;
        }

        Assert.Equal(full, TrackingValidation.IsValidKey(key));
    }

    [Fact]
    public void Key_length_limit_is_250()
    {
        Assert.Equal(250, TrackingValidation.ValidateKey(new string('k', 250), "metric", "key").Length);
        Assert.Throws<MlflowException>(() => TrackingValidation.ValidateKey(new string('k', 251), "metric", "key"));
    }

    [Fact]
    public void Long_param_and_tag_values_are_truncated_but_experiment_tags_are_not()
    {
        Assert.Equal(6000, TrackingValidation.ValidateParam(new KeyValueRequest("p", new string('v', 7000)), FieldPath.Root).Value.Length);
        Assert.Equal(8000, TrackingValidation.ValidateRunTag(new KeyValueRequest("t", new string('v', 9000)), FieldPath.Root).Value.Length);
        Assert.Equal("", TrackingValidation.ValidateParam(new KeyValueRequest("p", null), FieldPath.Root).Value);
        Assert.Throws<MlflowException>(() => TrackingValidation.ValidateExperimentTag(new KeyValueRequest("t", new string('v', 5001)), FieldPath.Root));
    }

    [Fact]
    public void Metric_requires_value_and_timestamp_and_defaults_step()
    {
        var ok = TrackingValidation.ValidateMetric(new MetricRequest("m", double.NaN, 5, null), new FieldPath("metrics", 0));
        Assert.Equal(0, ok.Step);
        Assert.True(double.IsNaN(ok.Value));

        var noTimestamp = Assert.Throws<MlflowException>(() => TrackingValidation.ValidateMetric(new MetricRequest("m", 1, null, 0), new FieldPath("metrics", 3)));
        Assert.Contains("'metrics[3].timestamp'", noTimestamp.Message, StringComparison.Ordinal);
        var noValue = Assert.Throws<MlflowException>(() => TrackingValidation.ValidateMetric(new MetricRequest("m", null, 1, 0), new FieldPath("metrics", 1)));
        Assert.Contains("'metrics[1].value'", noValue.Message, StringComparison.Ordinal);
        var negative = Assert.Throws<MlflowException>(() => TrackingValidation.ValidateMetric(new MetricRequest("m", 1, -1, 0), FieldPath.Root));
        Assert.Contains("'timestamp'", negative.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1000, 0, 0, true)]
    [InlineData(1001, 0, 0, false)]
    [InlineData(0, 100, 0, true)]
    [InlineData(0, 101, 0, false)]
    [InlineData(0, 0, 101, false)]
    [InlineData(900, 100, 0, true)]
    [InlineData(901, 100, 0, false)]
    [InlineData(850, 100, 100, false)]
    public void Batch_limits(int metrics, int parameters, int tags, bool ok)
    {
        if (ok)
        {
            TrackingValidation.ValidateBatchLimits(metrics, parameters, tags);
        }
        else
        {
            Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, Assert.Throws<MlflowException>(() => TrackingValidation.ValidateBatchLimits(metrics, parameters, tags)).Code);
        }
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef", true)]
    [InlineData("run-1_x", true)]
    [InlineData("-abc", false)]
    [InlineData("abc/def", false)]
    [InlineData("abc'--", false)]
    public void Run_id_format(string runId, bool ok)
    {
        if (ok)
        {
            Assert.Equal(runId, TrackingValidation.ValidateRunId(runId));
        }
        else
        {
            Assert.Throws<MlflowException>(() => TrackingValidation.ValidateRunId(runId));
        }
    }

    [Theory]
    [InlineData("s3://bucket/path", true)]
    [InlineData("file:///tmp/x", true)]
    [InlineData("mlflow-artifacts:/x", true)]
    [InlineData("s3://bucket/path#frag", false)]
    [InlineData("http://host/a;params", false)]
    [InlineData("http://host/a?x=../y", false)]
    [InlineData("runs:/abc/model", false)]
    public void Artifact_location_rules(string location, bool ok)
    {
        if (ok)
        {
            Assert.Equal(location, TrackingValidation.ValidateArtifactLocation(location));
        }
        else
        {
            Assert.Throws<MlflowException>(() => TrackingValidation.ValidateArtifactLocation(location));
        }
    }

    [Fact]
    public void Artifact_location_length_limit()
    {
        Assert.Throws<MlflowException>(() => TrackingValidation.ValidateArtifactLocation("s3://b/" + new string('a', 2048)));
    }

    [Fact]
    public void Experiment_name_rules()
    {
        Assert.Throws<MlflowException>(() => TrackingValidation.ValidateExperimentName(""));
        Assert.Throws<MlflowException>(() => TrackingValidation.ValidateExperimentName(new string('n', 501)));
        Assert.Equal("a/b c", TrackingValidation.ValidateExperimentName("a/b c"));
    }

    [Theory]
    [InlineData("my model", true)]
    [InlineData("a/b", false)]
    [InlineData("a:b", false)]
    [InlineData("a.b", false)]
    [InlineData("a%b", false)]
    [InlineData("a\"b", false)]
    [InlineData("a'b", false)]
    public void Logged_model_name_rules(string name, bool ok)
    {
        if (ok)
        {
            Assert.Equal(name, TrackingValidation.ValidateLoggedModelName(name));
        }
        else
        {
            Assert.Throws<MlflowException>(() => TrackingValidation.ValidateLoggedModelName(name));
        }
    }

    [Fact]
    public void Dataset_input_limits_and_required_fields()
    {
        var ok = TrackingValidation.ValidateDatasetInput(
            new DatasetInputRequest([new KeyValueRequest("mlflow.data.context", "training")], new DatasetRequest("d", "abc", "local", "/x", null, null)),
            "datasets[0]");
        Assert.Equal("d", ok.Dataset.Name);

        var missing = Assert.Throws<MlflowException>(() => TrackingValidation.ValidateDatasetInput(
            new DatasetInputRequest([], new DatasetRequest("d", "abc", null, "/x", null, null)), "datasets[2]"));
        Assert.Contains("datasets[2].dataset.source_type", missing.Message, StringComparison.Ordinal);
        Assert.Throws<MlflowException>(() => TrackingValidation.ValidateDatasetInput(
            new DatasetInputRequest([], new DatasetRequest("d", new string('x', 37), "local", "/x", null, null)), "datasets[0]"));
        Assert.Throws<MlflowException>(() => TrackingValidation.ValidateDatasetInput(
            new DatasetInputRequest([new KeyValueRequest("k", new string('v', 501))], new DatasetRequest("d", "x", "local", "/x", null, null)), "datasets[0]"));
    }
}
