using System.Text;
using System.Text.Json;
using Strata.Client.Wire;
using Strata.Core.Tracking;

namespace Strata.Client.Tests.Unit;

public sealed class WireJsonTests
{
    [Fact]
    public void Run_with_omitted_arrays_and_fields_maps_to_empty_lists()
    {
        const string json = """{"run":{"info":{"run_uuid":"abc","experiment_id":"3","status":"FINISHED","start_time":"17","lifecycle_stage":"deleted"}}}""";
        var run = JsonSerializer.Deserialize<RunResponse>(json, WireJson.Options)!.Run!.ToCore();
        Assert.Equal("abc", run.Info.RunId);
        Assert.Equal(RunStatus.FINISHED, run.Info.Status);
        Assert.Equal(17, run.Info.StartTime);
        Assert.Null(run.Info.EndTime);
        Assert.Equal(LifecycleStage.Deleted, run.Info.LifecycleStage);
        Assert.Empty(run.Data.Metrics);
        Assert.Empty(run.Data.Params);
        Assert.Empty(run.Data.Tags);
        Assert.Empty(run.Inputs.DatasetInputs);
        Assert.Empty(run.Outputs.ModelOutputs);
    }

    [Fact]
    public void Metrics_read_non_finite_strings_numeric_strings_and_int64_strings()
    {
        const string json = """
            {"metrics":[{"key":"a","value":"NaN","timestamp":1,"step":0},
                        {"key":"b","value":"Infinity","timestamp":"9007199254740993","step":"2"},
                        {"key":"c","value":"-Infinity","timestamp":1,"step":0},
                        {"key":"d","value":"1.5","timestamp":1,"step":0},
                        {"key":"e","value":2.25,"timestamp":1}]}
            """;
        var metrics = JsonSerializer.Deserialize<MetricsResponse>(json, WireJson.Options)!.Metrics.ToCore();
        Assert.True(double.IsNaN(metrics[0].Value));
        Assert.Equal(double.PositiveInfinity, metrics[1].Value);
        Assert.Equal(9007199254740993L, metrics[1].Timestamp);
        Assert.Equal(2, metrics[1].Step);
        Assert.Equal(double.NegativeInfinity, metrics[2].Value);
        Assert.Equal(1.5, metrics[3].Value);
        Assert.Equal(0, metrics[4].Step);
    }

    [Fact]
    public void Requests_are_snake_case_omit_nulls_and_write_enums_by_name()
    {
        var body = JsonSerializer.Serialize(
            new { RunId = "r", Status = (RunStatus?)RunStatus.KILLED, EndTime = (long?)null, ViewType = ViewType.ALL, Stage = LifecycleStage.Deleted },
            WireJson.Options);
        Assert.Equal("""{"run_id":"r","status":"KILLED","view_type":"ALL","stage":"deleted"}""", body);
    }

    [Fact]
    public void Log_batch_body_writes_non_finite_values_as_strings()
    {
        var bytes = LogBatchWriter.Write("run1", new[]
        {
            new MetricPoint("loss", double.NaN, 5, 1),
            new MetricPoint("x", double.PositiveInfinity, 6, 2),
            new MetricPoint("y", double.NegativeInfinity, 7, 3),
            new MetricPoint("z", 0.125, long.MaxValue, -4),
        });
        var text = Encoding.UTF8.GetString(bytes);
        Assert.Equal(
            """{"run_id":"run1","metrics":[{"key":"loss","value":"NaN","timestamp":5,"step":1},{"key":"x","value":"Infinity","timestamp":6,"step":2},{"key":"y","value":"-Infinity","timestamp":7,"step":3},{"key":"z","value":0.125,"timestamp":9223372036854775807,"step":-4}]}""",
            text);
    }

    [Fact]
    public void Log_batch_body_with_params_tags_and_3x_metric_fields()
    {
        var bytes = LogBatchWriter.Write(
            "r",
            [new Metric("m", 1, 2, 3, ModelId: "m-1", DatasetName: "d", DatasetDigest: "x")],
            [new KeyValue("p", "1")],
            [new KeyValue("t", "v")]);
        using var doc = JsonDocument.Parse(bytes);
        var metric = doc.RootElement.GetProperty("metrics")[0];
        Assert.Equal("m-1", metric.GetProperty("model_id").GetString());
        Assert.Equal("d", metric.GetProperty("dataset_name").GetString());
        Assert.Equal("p", doc.RootElement.GetProperty("params")[0].GetProperty("key").GetString());
        Assert.Equal("v", doc.RootElement.GetProperty("tags")[0].GetProperty("value").GetString());
    }

    [Fact]
    public void Registry_entities_map_aliases_and_defaults()
    {
        const string json = """
            {"registered_model":{"name":"m","creation_timestamp":1,"aliases":[{"alias":"champion","version":"2"}],
             "latest_versions":[{"name":"m","version":"2","current_stage":"Production","source":"models:/m-1","status":"READY","aliases":["champion"]}]}}
            """;
        var model = JsonSerializer.Deserialize<RegisteredModelResponse>(json, WireJson.Options)!.RegisteredModel!.ToCore();
        Assert.Equal(new Core.Registry.RegisteredModelAlias("champion", 2), model.Aliases.Single());
        Assert.Equal(2, model.LatestVersions.Single().Version);
        Assert.Equal(["champion"], model.LatestVersions.Single().Aliases);
        Assert.Empty(model.Tags);
        Assert.Equal(Core.Registry.ModelVersionStatus.READY, model.LatestVersions.Single().Status);
    }
}
