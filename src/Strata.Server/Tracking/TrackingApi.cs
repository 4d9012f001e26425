using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Core.Tracking;
using Strata.Server.Hosting;
using Strata.Server.Wire;

namespace Strata.Server.Tracking;

/// <summary>The MLflow tracking REST endpoints (spec §5.1-5.4) under <c>/api/2.0/mlflow</c> and <c>/ajax-api/2.0/mlflow</c>.</summary>
public static class TrackingApi
{
    private static readonly JsonEncodedText ExperimentsName = JsonEncodedText.Encode("experiments");
    private static readonly JsonEncodedText RunsName = JsonEncodedText.Encode("runs");
    private static readonly JsonEncodedText ModelsName = JsonEncodedText.Encode("models");

    // MLflow's limits for experiments/search-datasets: 20 experiments a request, 1000 summaries returned.
    private const int MaxExperimentIdsPerDatasetSearch = 20;
    private const int MaxDatasetSummaries = 1000;

    public static IEndpointRouteBuilder MapTrackingApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in MlflowRoutes.Prefixes)
        {
            var group = app.MapGroup(prefix).WithTags("Tracking");
            group.DisabledWhenArtifactsOnly(app.ServiceProvider);

            MapExperiments(group);
            MapRuns(group);
            MapMetrics(group);
            MapLoggedModels(group);
        }

        // UI-only route, not served under /api.
        var ui = app.MapGroup(MlflowRoutes.AjaxPrefix);
        ui.DisabledWhenArtifactsOnly(app.ServiceProvider);

        ui.MapGet("metrics/get-history-bulk", GetMetricHistoryBulk);
        return app;
    }

    private static void MapExperiments(RouteGroupBuilder g)
    {
        g.MapPost("experiments/create", CreateExperiment);
        g.MapGet("experiments/get", GetExperiment);
        g.MapGet("experiments/get-by-name", GetExperimentByName);
        g.MapMethods("experiments/search", [HttpMethods.Post, HttpMethods.Get], SearchExperiments);
        g.MapPost("experiments/delete", DeleteExperiment);
        g.MapPost("experiments/restore", RestoreExperiment);
        g.MapPost("experiments/update", UpdateExperiment);
        g.MapPost("experiments/set-experiment-tag", SetExperimentTag);
        g.MapPost("experiments/delete-experiment-tag", DeleteExperimentTag);
        g.MapPost("experiments/search-datasets", SearchDatasets);
    }

    private static void MapRuns(RouteGroupBuilder g)
    {
        g.MapPost("runs/create", CreateRun);
        g.MapPost("runs/update", UpdateRun);
        g.MapPost("runs/delete", DeleteRun);
        g.MapPost("runs/restore", RestoreRun);
        g.MapGet("runs/get", GetRun);
        g.MapMethods("runs/search", [HttpMethods.Post, HttpMethods.Get], SearchRuns);
        g.MapPost("runs/log-metric", LogMetric);
        g.MapPost("runs/log-parameter", LogParameter);
        g.MapPost("runs/set-tag", SetTag);
        g.MapPost("runs/delete-tag", DeleteTag);
        g.MapPost("runs/log-batch", LogBatch);
        g.MapPost("runs/log-model", LogModel);
        g.MapPost("runs/log-inputs", LogInputs);
        g.MapPost("runs/outputs", LogOutputs);
    }

    private static void MapMetrics(RouteGroupBuilder g)
    {
        g.MapGet("metrics/get-history", GetMetricHistory);
        g.MapGet("metrics/get-history-bulk-interval", GetMetricHistoryBulkInterval);
    }

    private static void MapLoggedModels(RouteGroupBuilder g)
    {
        g.MapPost("logged-models", CreateLoggedModel);
        g.MapPost("logged-models/search", SearchLoggedModels);
        g.MapGet("logged-models/{model_id}", GetLoggedModel);
        g.MapPatch("logged-models/{model_id}", FinalizeLoggedModel);
        g.MapDelete("logged-models/{model_id}", DeleteLoggedModel);
        g.MapPatch("logged-models/{model_id}/tags", SetLoggedModelTags);
        g.MapDelete("logged-models/{model_id}/tags/{**tag_key}", DeleteLoggedModelTag);
        g.MapPost("logged-models/{model_id}/params", LogLoggedModelParams);
    }

    // ---- experiments ----

    private static async Task<IResult> CreateExperiment(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var id = await service.CreateExperimentAsync(
            new CreateExperimentRequest(r.String("name"), r.String("artifact_location"), r.Objects("tags", TrackingWire.KeyValue)),
            ctx.RequestAborted);
        return WireResults.Object(id, static (w, id) => w.WriteString("experiment_id"u8, id));
    }

    private static async Task<IResult> GetExperiment(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var experiment = await service.GetExperimentAsync(r.String("experiment_id"), ctx.RequestAborted);
        return ExperimentResult(experiment);
    }

    private static async Task<IResult> GetExperimentByName(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var experiment = await service.GetExperimentByNameAsync(r.String("experiment_name"), ctx.RequestAborted);
        return ExperimentResult(experiment);
    }

    private static async Task<IResult> SearchExperiments(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var page = await service.SearchExperimentsAsync(
            new SearchExperimentsRequest(r.Int64("max_results"), r.String("page_token"), r.String("filter"), r.Strings("order_by"), r.Enum<ViewType>("view_type")),
            ctx.RequestAborted, await Auth.ReadScopes.ExperimentsAsync(ctx));
        return WireResults.Page(page, ExperimentsName, TrackingJson.WriteExperiment);
    }

    private static async Task<IResult> DeleteExperiment(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.DeleteExperimentAsync(r.String("experiment_id"), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> RestoreExperiment(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.RestoreExperimentAsync(r.String("experiment_id"), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> UpdateExperiment(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.UpdateExperimentAsync(r.String("experiment_id"), r.String("new_name"), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> SetExperimentTag(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.SetExperimentTagAsync(r.String("experiment_id"), new KeyValueRequest(r.String("key"), r.String("value")), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> DeleteExperimentTag(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.DeleteExperimentTagAsync(r.String("experiment_id"), r.String("key"), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> SearchDatasets(HttpContext ctx, ITrackingDatasetStore store)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var experimentIds = r.Strings("experiment_ids");
        if (experimentIds.Count > MaxExperimentIdsPerDatasetSearch)
        {
            throw Strata.Core.Errors.MlflowException.InvalidParameter(
                $"Invalid value for parameter 'experiment_ids': at most {MaxExperimentIdsPerDatasetSearch} experiment ids may be given, got {experimentIds.Count}.");
        }

        var summaries = await store.SearchDatasetsAsync(experimentIds, MaxDatasetSummaries, ctx.RequestAborted);
        return WireResults.Object(summaries, static (w, summaries) =>
        {
            w.WriteStartArray("dataset_summaries"u8);
            foreach (var s in summaries)
            {
                w.WriteStartObject();
                w.WriteString("experiment_id"u8, s.ExperimentId);
                w.WriteString("name"u8, s.Name);
                w.WriteString("digest"u8, s.Digest);
                if (s.Context is not null)
                {
                    w.WriteString("context"u8, s.Context);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    // ---- runs ----

    private static async Task<IResult> CreateRun(HttpContext ctx, TrackingService service, ILogger<TrackingService> logger)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var tags = r.Objects("tags", TrackingWire.KeyValue);
        var run = await service.CreateRunAsync(
            new CreateRunRequest(r.String("experiment_id"), Auth.RequestUser.RunUser(ctx, r.String("user_id")), r.String("run_name"), r.Int64("start_time"), tags),
            ctx.RequestAborted);
        TruncationWarnings.Tags(logger, "run " + run.Info.RunId, tags);
        return RunResult(run);
    }

    private static async Task<IResult> UpdateRun(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var info = await service.UpdateRunAsync(
            new UpdateRunRequest(TrackingWire.RunId(r), r.Enum<RunStatus>("status"), r.Int64("end_time"), r.String("run_name")),
            ctx.RequestAborted);
        return WireResults.Object(info, static (w, info) =>
        {
            w.WritePropertyName("run_info"u8);
            TrackingJson.WriteRunInfo(w, info);
        });
    }

    private static async Task<IResult> DeleteRun(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.DeleteRunAsync(TrackingWire.RunId(r), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> RestoreRun(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.RestoreRunAsync(TrackingWire.RunId(r), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> GetRun(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var run = await service.GetRunAsync(TrackingWire.RunId(r), ctx.RequestAborted);
        return RunResult(run);
    }

    private static async Task<IResult> SearchRuns(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var page = await service.SearchRunsAsync(
            new SearchRunsRequest(
                r.Strings("experiment_ids"), r.String("filter"), r.Enum<ViewType>("run_view_type"), r.Int64("max_results"), r.Strings("order_by"), r.String("page_token")),
            ctx.RequestAborted);
        return WireResults.Page(page, RunsName, TrackingJson.WriteRun);
    }

    private static async Task<IResult> LogMetric(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var metric = new MetricRequest(
            r.String("key"), r.Double("value"), r.Int64("timestamp"), r.Int64("step"), r.String("model_id"), r.String("dataset_name"), r.String("dataset_digest"));
        await service.LogMetricAsync(TrackingWire.RunId(r), metric, ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> LogParameter(HttpContext ctx, TrackingService service, ILogger<TrackingService> logger)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var runId = TrackingWire.RunId(r);
        var param = new KeyValueRequest(r.String("key"), r.String("value"));
        await service.LogParamAsync(runId, param, ctx.RequestAborted);
        TruncationWarnings.Params(logger, "run " + runId, [param]);
        return WireResults.Empty;
    }

    private static async Task<IResult> SetTag(HttpContext ctx, TrackingService service, ILogger<TrackingService> logger)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var runId = TrackingWire.RunId(r);
        var tag = new KeyValueRequest(r.String("key"), r.String("value"));
        await service.SetTagAsync(runId, tag, ctx.RequestAborted);
        TruncationWarnings.Tags(logger, "run " + runId, [tag]);
        return WireResults.Empty;
    }

    private static async Task<IResult> DeleteTag(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.DeleteTagAsync(TrackingWire.RunId(r), r.String("key"), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> LogBatch(HttpContext ctx, TrackingService service, ILogger<TrackingService> logger)
    {
        var r = await WireRequest.ReadAsync(ctx, TrackingLimits.MaxLogBatchBodyBytes);
        var request = new LogBatchRequest(
            TrackingWire.RunId(r),
            r.Objects("metrics", TrackingWire.Metric),
            r.Objects("params", TrackingWire.KeyValue),
            r.Objects("tags", TrackingWire.KeyValue));
        await service.LogBatchAsync(request, ctx.RequestAborted);
        TruncationWarnings.Params(logger, "run " + request.RunId, request.Params);
        TruncationWarnings.Tags(logger, "run " + request.RunId, request.Tags);
        return WireResults.Empty;
    }

    private static async Task<IResult> LogModel(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.LogModelAsync(TrackingWire.RunId(r), r.String("model_json"), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> LogInputs(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.LogInputsAsync(
            TrackingWire.RunId(r), r.Objects("datasets", TrackingWire.DatasetInput), r.Objects("models", TrackingWire.ModelId), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> LogOutputs(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.LogOutputsAsync(TrackingWire.RunId(r), r.Objects("models", TrackingWire.ModelOutput), ctx.RequestAborted);
        return WireResults.Empty;
    }

    // ---- metric history ----

    private static async Task<IResult> GetMetricHistory(HttpContext ctx, TrackingService service)
    {
        var started = Stopwatch.GetTimestamp();
        var r = await WireRequest.ReadAsync(ctx);
        return new MetricHistoryResult(
            service,
            new MetricHistoryRequest(TrackingWire.RunId(r), r.String("metric_key"), r.Int64("max_results"), r.String("page_token")),
            started);
    }

    private static async Task<IResult> GetMetricHistoryBulkInterval(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var metrics = await service.GetMetricHistoryBulkIntervalAsync(
            new MetricHistoryBulkIntervalRequest(r.Strings("run_ids"), r.String("metric_key"), r.Int64("start_step"), r.Int64("end_step"), r.Int64("max_results")),
            ctx.RequestAborted);
        return MetricsResult(metrics);
    }

    private static async Task<IResult> GetMetricHistoryBulk(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var metrics = await service.GetMetricHistoryBulkAsync(r.Strings("run_id"), r.String("metric_key"), r.Int64("max_results"), ctx.RequestAborted);
        return MetricsResult(metrics);
    }

    // ---- logged models ----

    private static async Task<IResult> CreateLoggedModel(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var model = await service.CreateLoggedModelAsync(
            new CreateLoggedModelRequest(
                r.String("experiment_id"), r.String("name"), r.String("model_type"), r.String("source_run_id"),
                r.Objects("params", TrackingWire.KeyValue), r.Objects("tags", TrackingWire.KeyValue)),
            ctx.RequestAborted);
        return LoggedModelResult(model);
    }

    private static async Task<IResult> GetLoggedModel(HttpContext ctx, TrackingService service, string model_id)
    {
        var model = await service.GetLoggedModelAsync(model_id, ctx.RequestAborted);
        return LoggedModelResult(model);
    }

    private static async Task<IResult> FinalizeLoggedModel(HttpContext ctx, TrackingService service, string model_id)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var model = await service.FinalizeLoggedModelAsync(model_id, r.Enum<LoggedModelStatus>("status"), ctx.RequestAborted);
        return LoggedModelResult(model);
    }

    private static async Task<IResult> DeleteLoggedModel(HttpContext ctx, TrackingService service, string model_id)
    {
        await service.DeleteLoggedModelAsync(model_id, ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> SetLoggedModelTags(HttpContext ctx, TrackingService service, string model_id)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.SetLoggedModelTagsAsync(model_id, r.Objects("tags", TrackingWire.KeyValue), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> DeleteLoggedModelTag(HttpContext ctx, TrackingService service, string model_id, string tag_key)
    {
        // The path keeps %2F encoded; keys cannot contain '%', so decoding once is safe.
        await service.DeleteLoggedModelTagAsync(model_id, Uri.UnescapeDataString(tag_key), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> LogLoggedModelParams(HttpContext ctx, TrackingService service, string model_id)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.LogLoggedModelParamsAsync(model_id, r.Objects("params", TrackingWire.KeyValue), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> SearchLoggedModels(HttpContext ctx, TrackingService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var page = await service.SearchLoggedModelsAsync(
            new SearchLoggedModelsRequest(
                r.Strings("experiment_ids"), r.String("filter"), r.Int64("max_results"), r.Objects("order_by", TrackingWire.LoggedModelOrder), r.String("page_token"),
                r.Objects("datasets", TrackingWire.LoggedModelDataset)),
            ctx.RequestAborted);
        return WireResults.Page(page, ModelsName, TrackingJson.WriteLoggedModel);
    }

    // ---- results ----

    private static IResult ExperimentResult(Experiment experiment) =>
        WireResults.Object(experiment, static (w, e) =>
        {
            w.WritePropertyName("experiment"u8);
            TrackingJson.WriteExperiment(w, e);
        });

    private static IResult RunResult(Run run) =>
        WireResults.Object(run, static (w, run) =>
        {
            w.WritePropertyName("run"u8);
            TrackingJson.WriteRun(w, run);
        });

    private static IResult LoggedModelResult(LoggedModel model) =>
        WireResults.Object(model, static (w, model) =>
        {
            w.WritePropertyName("model"u8);
            TrackingJson.WriteLoggedModel(w, model);
        });

    private static IResult MetricsResult(IReadOnlyList<Metric> metrics) =>
        WireResults.Object(metrics, static (w, metrics) => TrackingJson.WriteMetrics(w, "metrics"u8, metrics));
}
