using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Core.Errors;
using Strata.Core.Traces;
using Strata.Core.Tracking;
using Strata.Server.Hosting;
using Strata.Server.Wire;

namespace Strata.Server.Traces;

/// <summary>
/// MLflow 3's tracing endpoints under <c>/api/3.0/mlflow/traces</c>, the MLflow 2 forms the 3.x client still calls
/// (tags, link-to-run, delete) and the v2 trace API under <c>/api/2.0/mlflow/traces</c>, each under
/// <c>/ajax-api</c> too; and <c>get-trace-artifact</c>, which serves a trace's span data to the UI.
/// </summary>
public static class TracesApi
{
    public static readonly IReadOnlyList<string> V3Prefixes = ["/api/3.0/mlflow", "/ajax-api/3.0/mlflow"];

    private static readonly JsonEncodedText TracesName = JsonEncodedText.Encode("traces");

    public static IEndpointRouteBuilder MapTracesApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in V3Prefixes)
        {
            var g = app.MapGroup(prefix).WithTags("Traces");
            g.DisabledWhenArtifactsOnly(app.ServiceProvider);

            g.MapPost("traces", StartTraceV3);
            g.MapGet("traces/batchGet", BatchGetTraces);
            g.MapPost("traces/search", SearchTracesV3);
            g.MapPost("traces/delete-traces", DeleteTraces);
            g.MapPost("traces/link-to-run", LinkTracesToRun);
            g.MapPost("traces/calculate-filter-correlation", CalculateFilterCorrelation);
            g.MapGet("traces/{trace_id}", GetTraceInfoV3);
            g.MapPatch("traces/{trace_id}/tags", SetTraceTag);
            g.MapDelete("traces/{trace_id}/tags", DeleteTraceTag);
            g.MapPost("traces/{trace_id}/assessments", CreateAssessment);
            g.MapGet("traces/{trace_id}/assessments/{assessment_id}", GetAssessment);
            g.MapPatch("traces/{trace_id}/assessments/{assessment_id}", UpdateAssessment);
            g.MapDelete("traces/{trace_id}/assessments/{assessment_id}", DeleteAssessment);
        }

        foreach (var prefix in MlflowRoutes.Prefixes)
        {
            var g = app.MapGroup(prefix).WithTags("Traces");
            g.DisabledWhenArtifactsOnly(app.ServiceProvider);

            g.MapPost("traces", StartTraceV2);
            g.MapGet("traces", SearchTracesV2);
            g.MapPost("traces/delete-traces", DeleteTraces);
            g.MapPost("traces/link-to-run", LinkTracesToRun);
            g.MapPatch("traces/{trace_id}", EndTraceV2);
            g.MapGet("traces/{trace_id}/info", GetTraceInfoV2);
            g.MapPatch("traces/{trace_id}/tags", SetTraceTag);
            g.MapDelete("traces/{trace_id}/tags", DeleteTraceTag);
            g.MapGet("get-trace-artifact", GetTraceArtifact);
        }

        // OTLP ingest writes traces to the tracking store: off in artifacts-only mode like MLflow's other tracking routes.
        var otlp = app.MapOtlpApi();
        otlp.DisabledWhenArtifactsOnly(app.ServiceProvider);

        return app;
    }

    // ---- v3 ----

    private static async Task<IResult> StartTraceV3(HttpContext ctx, TraceService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        if (!r.TryGetElement("trace", out var trace))
        {
            throw MlflowException.MissingParameter("trace");
        }

        if (trace.ValueKind != JsonValueKind.Object || !trace.TryGetProperty("trace_info", out var info) || info.ValueKind == JsonValueKind.Null)
        {
            throw MlflowException.MissingParameter("trace.trace_info");
        }

        var created = await service.StartTraceAsync(TraceJson.ReadNewTrace(info, "trace.trace_info"), ctx.RequestAborted);
        return WireResults.Object(created, static (w, t) =>
        {
            w.WritePropertyName("trace"u8);
            TraceJson.WriteTrace(w, t);
        });
    }

    private static async Task<IResult> GetTraceInfoV3(HttpContext ctx, string trace_id, TraceService service)
    {
        var info = await service.GetTraceInfoAsync(trace_id, ctx.RequestAborted);
        return WireResults.Object(info, static (w, t) =>
        {
            w.WritePropertyName("trace"u8);
            TraceJson.WriteTrace(w, t);
        });
    }

    private static async Task<IResult> BatchGetTraces(HttpContext ctx, TraceService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var ids = r.Strings("trace_ids");
        if (ids.Count == 0)
        {
            throw MlflowException.MissingParameter("trace_ids");
        }

        var infos = await service.Store.GetTraceInfosAsync(ids, ctx.RequestAborted);
        var traces = new List<(TraceInfo Info, IReadOnlyList<JsonElement> Spans)>(infos.Count);
        foreach (var info in infos)
        {
            var data = await service.ReadSpanDataAsync(info, ctx.RequestAborted);
            traces.Add((info, data is null ? [] : SpanJson.ToOtlpSpans(data)));
        }

        return WireResults.Object(traces, static (w, list) =>
        {
            w.WriteStartArray("traces"u8);
            foreach (var (info, spans) in list)
            {
                TraceJson.WriteTrace(w, info, spans);
            }

            w.WriteEndArray();
        });
    }

    private static async Task<IResult> SearchTracesV3(HttpContext ctx, TraceService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var experimentIds = r.Objects("locations", static (e, path) =>
            e.TryGetProperty("mlflow_experiment", out var exp) && exp.ValueKind == JsonValueKind.Object && exp.TryGetProperty("experiment_id", out var id)
                ? WireValues.String(id, path, "mlflow_experiment.experiment_id")
                : null).OfType<string>().ToList();
        if (experimentIds.Count == 0)
        {
            // Older 3.x clients and the UI send experiment ids directly.
            experimentIds = r.Strings("experiment_ids").ToList();
        }

        var page = await service.SearchTracesAsync(
            experimentIds, r.String("filter"), r.Strings("order_by"), r.Int64("max_results"), r.String("page_token"), ctx.RequestAborted);
        return WireResults.Page(page, TracesName, TraceJson.WriteTraceInfo);
    }

    /// <summary>
    /// MLflow 3.5's CalculateTraceFilterCorrelation. As in MLflow, an NPMI that is undefined (NaN) is left out of the
    /// reply rather than written as a number; the counts are always there.
    /// </summary>
    private static async Task<IResult> CalculateFilterCorrelation(HttpContext ctx, TraceService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        if (!r.TryGetElement("experiment_ids", out _))
        {
            throw MlflowException.MissingParameter("experiment_ids");
        }

        var result = await service.CalculateFilterCorrelationAsync(
            r.Strings("experiment_ids"), r.String("filter_string1"), r.String("filter_string2"), r.String("base_filter"), ctx.RequestAborted);
        return WireResults.Object(result, static (w, x) =>
        {
            if (!double.IsNaN(x.Npmi))
            {
                w.WriteNumber("npmi"u8, x.Npmi);
            }

            if (!double.IsNaN(x.NpmiSmoothed))
            {
                w.WriteNumber("npmi_smoothed"u8, x.NpmiSmoothed);
            }

            w.WriteNumber("filter1_count"u8, x.Counts.Filter1);
            w.WriteNumber("filter2_count"u8, x.Counts.Filter2);
            w.WriteNumber("joint_count"u8, x.Counts.Joint);
            w.WriteNumber("total_count"u8, x.Counts.Total);
        });
    }

    private static async Task<IResult> DeleteTraces(HttpContext ctx, TraceService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var ids = r.Strings("request_ids");
        if (ids.Count == 0)
        {
            ids = r.Strings("trace_ids");
        }

        var deleted = await service.DeleteTracesAsync(r.String("experiment_id"), r.Int64("max_timestamp_millis"), r.Int32("max_traces"), ids, ctx.RequestAborted);
        return WireResults.Object(deleted, static (w, n) => w.WriteNumber("traces_deleted"u8, n));
    }

    private static async Task<IResult> LinkTracesToRun(HttpContext ctx, TraceService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.LinkTracesToRunAsync(r.Strings("trace_ids"), r.String("run_id"), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> SetTraceTag(HttpContext ctx, string trace_id, TraceService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.SetTraceTagAsync(trace_id, r.String("key"), r.String("value"), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> DeleteTraceTag(HttpContext ctx, string trace_id, TraceService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.DeleteTraceTagAsync(trace_id, r.String("key"), ctx.RequestAborted);
        return WireResults.Empty;
    }

    // ---- assessments ----

    private static async Task<IResult> CreateAssessment(HttpContext ctx, string trace_id, TraceService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        if (!r.TryGetElement("assessment", out var assessment))
        {
            throw MlflowException.MissingParameter("assessment");
        }

        var created = await service.CreateAssessmentAsync(trace_id, TraceJson.ReadNewAssessment(assessment, "assessment"), ctx.RequestAborted);
        return AssessmentResult(created);
    }

    private static async Task<IResult> GetAssessment(HttpContext ctx, string trace_id, string assessment_id, TraceService service) =>
        AssessmentResult(await service.GetAssessmentAsync(trace_id, assessment_id, ctx.RequestAborted));

    private static async Task<IResult> UpdateAssessment(HttpContext ctx, string trace_id, string assessment_id, TraceService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        if (!r.TryGetElement("assessment", out var assessment))
        {
            throw MlflowException.MissingParameter("assessment");
        }

        if (!r.TryGetElement("update_mask", out var mask))
        {
            throw MlflowException.MissingParameter("update_mask");
        }

        var paths = ReadMaskPaths(mask);
        var updated = await service.UpdateAssessmentAsync(trace_id, assessment_id, TraceJson.ReadUpdate(assessment, paths, "assessment"), ctx.RequestAborted);
        return AssessmentResult(updated);
    }

    private static async Task<IResult> DeleteAssessment(HttpContext ctx, string trace_id, string assessment_id, TraceService service)
    {
        await service.DeleteAssessmentAsync(trace_id, assessment_id, ctx.RequestAborted);
        return WireResults.Empty;
    }

    /// <summary>A FieldMask in protobuf JSON is one comma-separated string; an object with <c>paths</c> is accepted too.</summary>
    private static List<string> ReadMaskPaths(JsonElement mask)
    {
        IEnumerable<string> paths = mask.ValueKind switch
        {
            JsonValueKind.String => mask.GetString()!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            JsonValueKind.Object when mask.TryGetProperty("paths", out var list) && list.ValueKind == JsonValueKind.Array =>
                list.EnumerateArray().Select(p => WireValues.String(p, "update_mask.paths") ?? ""),
            _ => throw MlflowException.InvalidParameter("Invalid value for parameter 'update_mask' supplied: expected a comma-separated string of field names."),
        };

        // Protobuf JSON writes field mask paths in lowerCamelCase.
        return paths.Select(p => p switch
        {
            "assessmentName" => "assessment_name",
            _ => p,
        }).ToList();
    }

    private static IResult AssessmentResult(Assessment assessment) => WireResults.Object(assessment, static (w, a) =>
    {
        w.WritePropertyName("assessment"u8);
        TraceJson.WriteAssessment(w, a);
    });

    // ---- v2 ----

    private static async Task<IResult> StartTraceV2(HttpContext ctx, TraceService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var info = await service.StartTraceV2Async(
            r.String("experiment_id"), r.Int64("timestamp_ms"), Map(r, "request_metadata"), Map(r, "tags"), ctx.RequestAborted);
        return TraceInfoV2Result(info);
    }

    private static async Task<IResult> EndTraceV2(HttpContext ctx, string trace_id, TraceService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        TraceState? state = r.TryGetElement("status", out var status) ? TraceJson.ParseState(status, "status") : null;
        var info = await service.EndTraceV2Async(
            trace_id, r.Int64("timestamp_ms"), state, Map(r, "request_metadata"), Map(r, "tags"), ctx.RequestAborted);
        return TraceInfoV2Result(info);
    }

    private static async Task<IResult> GetTraceInfoV2(HttpContext ctx, string trace_id, TraceService service) =>
        TraceInfoV2Result(await service.GetTraceInfoAsync(trace_id, ctx.RequestAborted));

    private static async Task<IResult> SearchTracesV2(HttpContext ctx, TraceService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var page = await service.SearchTracesAsync(
            r.Strings("experiment_ids"), r.String("filter"), r.Strings("order_by"), r.Int64("max_results"), r.String("page_token"), ctx.RequestAborted);
        return WireResults.Page(page, TracesName, TraceJson.WriteTraceInfoV2);
    }

    /// <summary>The trace's span data as a <c>traces.json</c> download (what MLflow's UI fetches).</summary>
    private static async Task<IResult> GetTraceArtifact(HttpContext ctx, TraceService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var id = r.String("request_id");
        if (string.IsNullOrEmpty(id))
        {
            throw new MlflowException(ErrorCode.BAD_REQUEST, "Request must include the \"request_id\" query parameter.");
        }

        var info = await service.GetTraceInfoAsync(id, ctx.RequestAborted);
        var data = await service.ReadSpanDataAsync(info, ctx.RequestAborted)
                   ?? throw MlflowException.NotFound($"Trace with ID '{id}' has no span data.");
        ctx.Response.Headers.ContentDisposition = $"attachment; filename={TraceKeys.SpansFile}";
        return Results.Bytes(data, "application/octet-stream");
    }

    private static IResult TraceInfoV2Result(TraceInfo info) => WireResults.Object(info, static (w, t) =>
    {
        w.WritePropertyName("trace_info"u8);
        TraceJson.WriteTraceInfoV2(w, t);
    });

    private static IReadOnlyList<KeyValue> Map(WireRequest r, string name) =>
        r.TryGetElement(name, out var value) ? TraceJson.ReadMapValue(value, name) : [];
}
