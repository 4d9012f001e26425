using System.Text;
using Strata.Core.Deployments;
using Strata.Core.Monitoring;

namespace Strata.Server.Ui.Tests;

/// <summary>The UI's data shaping without a browser: span trees, deployment usage, drift distributions, metric windows.</summary>
public sealed class UiModelTests
{
    [Fact]
    public void Mlflow2_span_data_reads_with_hex_ids_and_lays_out_depth_first()
    {
        var json = """
            {"spans": [
              {"name": "child-b", "context": {"span_id": "0x00000000000000b2", "trace_id": "0x1"}, "parent_id": "0x00000000000000a1",
               "start_time": 3000000, "end_time": 4000000, "status_code": "ERROR", "status_message": "boom",
               "attributes": {"mlflow.spanType": "\"TOOL\"", "mlflow.spanInputs": "{\"x\": 1}"}, "events": [{"name": "exception", "timestamp": 3500000, "attributes": {"exception.message": "boom"}}]},
              {"name": "root", "context": {"span_id": "0x00000000000000a1", "trace_id": "0x1"}, "parent_id": null,
               "start_time": 1000000, "end_time": 5000000, "status_code": "OK", "attributes": {}, "events": []},
              {"name": "child-a", "context": {"span_id": "0x00000000000000c3", "trace_id": "0x1"}, "parent_id": "0x00000000000000a1",
               "start_time": 2000000, "end_time": 2500000, "status_code": "OK", "attributes": {}, "events": []}
            ]}
            """;
        var spans = TraceSpanTree.Parse(Encoding.UTF8.GetBytes(json));
        var rows = TraceSpanTree.Layout(spans);
        Assert.Equal(["root", "child-a", "child-b"], rows.Select(r => r.Span.Name));
        Assert.Equal([0, 1, 1], rows.Select(r => r.Depth));
        var b = rows[2];
        Assert.Equal("00000000000000b2", b.Span.SpanId);
        Assert.True(b.Span.IsError);
        Assert.Equal("TOOL", b.Span.SpanType);
        Assert.Equal("{\n  \"x\": 1\n}", b.Span.Inputs!.Replace("\r", "", StringComparison.Ordinal));
        Assert.Equal(50, b.OffsetPercent, 3);
        Assert.Equal(25, b.WidthPercent, 3);
        Assert.Equal(1.0, b.Span.DurationMs, 3);
        Assert.Equal("exception", Assert.Single(b.Span.Events).Name);
    }

    [Fact]
    public void Unreadable_span_data_and_parent_cycles_do_not_break_the_page()
    {
        Assert.Empty(TraceSpanTree.Parse(Encoding.UTF8.GetBytes("not json")));
        Assert.Empty(TraceSpanTree.Parse(Encoding.UTF8.GetBytes("{\"spans\": 3}")));
        Assert.Empty(TraceSpanTree.Parse(null));
        // Two spans naming each other as parent: both still shown, once each.
        var json = """
            {"spans": [{"span_id": "AAAAAAAAAAE=", "parent_span_id": "AAAAAAAAAAI=", "name": "a", "start_time_unix_nano": 1, "end_time_unix_nano": 2},
                       {"span_id": "AAAAAAAAAAI=", "parent_span_id": "AAAAAAAAAAE=", "name": "b", "start_time_unix_nano": 1, "end_time_unix_nano": 3},
                       {"span_id": "AAAAAAAAAAM=", "name": "c", "start_time_unix_nano": "2", "end_time_unix_nano": "3"}]}
            """;
        var rows = TraceSpanTree.Layout(TraceSpanTree.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(["c", "a", "b"], rows.Select(r => r.Span.Name));
        Assert.Equal([0, 0, 1], rows.Select(r => r.Depth));
        Assert.Equal("0000000000000003", rows[0].Span.SpanId);
    }

    [Fact]
    public void A_version_is_deployed_by_number_or_through_its_aliases()
    {
        Assert.Equal("version 3", DeploymentUsage.Via(new ModelTarget("m", 3, null), "m", 3, []));
        Assert.Equal("alias @champion", DeploymentUsage.Via(new ModelTarget("m", null, "champion"), "m", 3, ["champion"]));
        Assert.Null(DeploymentUsage.Via(new ModelTarget("m", null, "champion"), "m", 4, ["challenger"]));
        Assert.Null(DeploymentUsage.Via(new ModelTarget("other", 3, null), "m", 3, []));
    }

    [Fact]
    public void Distributions_share_bins_and_categories_between_reference_and_current()
    {
        var reference = new FeatureProfile { Name = "x", Kind = FeatureKind.Numeric, Count = 4, Sample = [0, 1, 2, 3] };
        var current = new FeatureColumn("x");
        foreach (var v in new[] { 2.0, 3, 3, 3 })
        {
            current.AddNumber(v);
        }

        var numeric = DriftDistributions.Numeric(reference, current);
        Assert.Equal(DriftDistributions.NumericBins, numeric.Labels.Length);
        Assert.Equal(1, numeric.Reference.Sum(), 6);
        Assert.Equal(1, numeric.Current.Sum(), 6);
        Assert.Equal(0.75, numeric.Current[^1], 6);
        Assert.Equal(4, numeric.CurrentCount);

        var colors = new FeatureProfile
        {
            Name = "c", Kind = FeatureKind.Categorical, Count = 10,
            TopCategories = [new CategoryCount("red", 6), new CategoryCount("blue", 2)], OtherCount = 2,
        };
        var seen = new FeatureColumn("c");
        foreach (var v in new[] { "red", "green", "green", "green" })
        {
            seen.AddCategory(v);
        }

        var categorical = DriftDistributions.Categorical(colors, seen);
        Assert.Equal(["red", "blue", "green", "(other)"], categorical.Labels);
        Assert.Equal([0.6, 0.2, 0, 0.2], categorical.Reference.Select(v => Math.Round(v, 6)));
        Assert.Equal([0.25, 0, 0.75, 0], categorical.Current.Select(v => Math.Round(v, 6)));
    }

    [Fact]
    public void Metrics_view_draws_a_line_per_version_and_three_latency_lines()
    {
        var points = new[]
        {
            new ServiceMetricsPoint("m", "1", false, 60_000, 10, 1, 0.1, 2, 4, 8, 3, 0.2, 15, 0, 1500, 1),
            new ServiceMetricsPoint("m", "1", false, 120_000, 20, 0, 0, 2, 4, 8, 3, 0.3, 30, 0, 1500, 1),
            new ServiceMetricsPoint("m", "2", true, 60_000, 10, 0, 0, 5, 6, 7, 5, 0.2, 10, 0, 1000, 1),
        };
        var view = DeploymentMetricsView.From(points, []);
        Assert.Equal(["m v1", "m v2 (shadow)"], view.Traffic.Select(l => l.Name));
        Assert.Equal([60_000L, 120_000L], view.Traffic[0].X);
        Assert.Equal(6, view.Latency.Length);
        Assert.Equal([10.0, 0.0], view.ErrorRate[0].Y);
        Assert.Equal(MetricsWindow.All[0], MetricsWindow.Parse("nonsense"));
        Assert.Equal(MetricsResolution.Hour, MetricsWindow.Parse("7d").Resolution);
    }
}
