using System.Buffers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Strata.Core.Errors;
using Strata.Core.Monitoring;
using Strata.Server.Hosting;
using Strata.Server.Wire;

namespace Strata.Server.Monitoring;

/// <summary>
/// Monitoring endpoints: reference profiles and drift per model version under <c>/api/2.0/strata/monitoring</c>, and
/// drift and alert thresholds per deployment under <c>/api/2.0/strata/deployments/{name}</c>.
/// </summary>
public static class MonitoringApi
{
    public const string Prefix = "/api/2.0/strata/monitoring";
    public const string DeploymentsPrefix = "/api/2.0/strata/deployments";

    /// <summary>Largest uploaded reference data set.</summary>
    public const int MaxUploadBytes = 256 * 1024 * 1024;

    public static IEndpointRouteBuilder MapMonitoringApi(this IEndpointRouteBuilder app)
    {
        var m = app.MapGroup(Prefix).WithTags("Monitoring");
        var d = app.MapGroup(DeploymentsPrefix).WithTags("Monitoring");
        m.DisabledWhenArtifactsOnly(app.ServiceProvider);
        d.DisabledWhenArtifactsOnly(app.ServiceProvider);

        // Reference data may be uploaded in the body: the large body limit.
        m.MapPost("profiles", ComputeProfile).WithMetadata(Security.LargeRequestBody.Instance);
        m.MapPost("profiles/upload", UploadProfile).WithMetadata(Security.LargeRequestBody.Instance);
        m.MapGet("profiles", GetProfile);
        m.MapGet("drift", ListDrift);
        m.MapPost("drift/compute", ComputeDrift);

        d.MapGet("{name}/drift", ListDeploymentDrift);
        d.MapPost("{name}/drift/compute", ComputeDeploymentDrift);
        d.MapGet("{name}/alerts", GetAlerts);
        d.MapMethods("{name}/alerts", [HttpMethods.Put, HttpMethods.Post], SetAlerts);
        d.MapGet("{name}/alerts/events", ListAlertEvents);
        return app;
    }

    /// <summary>JSON <c>{name, version, dataset_name?, prediction_column?}</c>: profile the run's logged dataset; a CSV body uploads the data.</summary>
    private static async Task<IResult> ComputeProfile(HttpContext ctx, MonitoringService service)
    {
        if (IsCsv(ctx.Request.ContentType))
        {
            return await UploadProfile(ctx, service);
        }

        using var r = await WireRequest.ReadAsync(ctx);
        var profile = await service.ComputeProfileAsync(r.String("name"), r.String("version"), r.String("dataset_name"), r.String("prediction_column"), ctx.RequestAborted);
        return WireResults.Object(profile, MonitoringJsonWriter.WriteProfile);
    }

    /// <summary>The body is the reference data (CSV, or a JSON table); name, version and prediction_column are query parameters.</summary>
    private static async Task<IResult> UploadProfile(HttpContext ctx, MonitoringService service)
    {
        var query = ctx.Request.Query;
        var csv = IsCsv(ctx.Request.ContentType);
        if (!csv && !IsJson(ctx.Request.ContentType))
        {
            throw MlflowException.InvalidParameter(
                $"Upload the reference data as text/csv or application/json, not '{ctx.Request.ContentType}'.");
        }

        var data = await ReadBodyAsync(ctx.Request, ctx.RequestAborted);
        if (data.Length == 0)
        {
            throw MlflowException.InvalidParameter("The upload is empty: send the reference data as the request body.");
        }

        var profile = await service.ProfileUploadAsync(
            NonEmpty(query["name"]), NonEmpty(query["version"]), data, csv, NonEmpty(query["prediction_column"]), ctx.RequestAborted);
        return WireResults.Object(profile, MonitoringJsonWriter.WriteProfile);
    }

    private static async Task<IResult> GetProfile(HttpContext ctx, MonitoringService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        var profile = await service.GetProfileAsync(r.String("name"), r.String("version"), ctx.RequestAborted);
        return WireResults.Object(profile, MonitoringJsonWriter.WriteProfile);
    }

    private static async Task<IResult> ListDrift(HttpContext ctx, MonitoringService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        var runs = await service.ListDriftAsync(null, r.String("name"), r.String("version"), r.String("from"), r.String("to"), r.Int64("max_results"), ctx.RequestAborted);
        return WireResults.Object(runs, MonitoringJsonWriter.WriteRuns);
    }

    private static async Task<IResult> ComputeDrift(HttpContext ctx, MonitoringService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        var runs = await service.ComputeDriftAsync(
            null, r.String("name"), r.String("version"), r.String("from"), r.String("to"), r.String("method"), r.Double("threshold"), User(ctx), ctx.RequestAborted);
        return WireResults.Object(runs, MonitoringJsonWriter.WriteRuns);
    }

    private static async Task<IResult> ListDeploymentDrift(HttpContext ctx, string name, MonitoringService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        var runs = await service.ListDriftAsync(name, r.String("model"), r.String("version"), r.String("from"), r.String("to"), r.Int64("max_results"), ctx.RequestAborted);
        return WireResults.Object(runs, MonitoringJsonWriter.WriteRuns);
    }

    private static async Task<IResult> ComputeDeploymentDrift(HttpContext ctx, string name, MonitoringService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        var runs = await service.ComputeDriftAsync(
            name, r.String("model"), r.String("version"), r.String("from"), r.String("to"), r.String("method"), r.Double("threshold"), User(ctx), ctx.RequestAborted);
        return WireResults.Object(runs, MonitoringJsonWriter.WriteRuns);
    }

    /// <summary>The thresholds with the state of every watched version's error rate and latency p99.</summary>
    private static async Task<IResult> GetAlerts(HttpContext ctx, string name, MonitoringService service)
    {
        var (thresholds, states) = await service.GetAlertsAsync(name, ctx.RequestAborted);
        return WireResults.Object((thresholds, states), static (w, a) => MonitoringJsonWriter.WriteThresholds(w, a.thresholds, a.states));
    }

    /// <summary>
    /// JSON <c>{error_rate?, latency_p99_ms?, drift_share?, window_minutes?, min_requests?}</c>; an absent threshold is
    /// not watched, an absent window or minimum takes its default.
    /// </summary>
    private static async Task<IResult> SetAlerts(HttpContext ctx, string name, MonitoringService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        var thresholds = await service.SetAlertThresholdsAsync(
            name, r.Double("error_rate"), r.Double("latency_p99_ms"), r.Double("drift_share"), r.Int64("window_minutes"), r.Int64("min_requests"),
            User(ctx), ctx.RequestAborted);
        var states = await service.Store.ListAlertStatesAsync(name, ctx.RequestAborted);
        return WireResults.Object((thresholds, states), static (w, a) => MonitoringJsonWriter.WriteThresholds(w, a.thresholds, a.states));
    }

    /// <summary>The alert events (drift share, error rate, latency p99) of the deployment, newest first.</summary>
    private static async Task<IResult> ListAlertEvents(HttpContext ctx, string name, MonitoringService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        var page = await service.ListAlertEventsAsync(name, r.Int64("max_results"), r.String("page_token"), ctx.RequestAborted);
        return WireResults.Page(page, MonitoringJsonWriter.EventsName, Strata.Server.Registry.RegistryJson.WriteEvent);
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxUploadBytes)
        {
            throw MlflowException.InvalidParameter($"The upload is {request.ContentLength} bytes; at most {MaxUploadBytes} are accepted.");
        }

        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > MaxUploadBytes)
                {
                    throw MlflowException.InvalidParameter($"The upload is larger than {MaxUploadBytes} bytes.");
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    private static bool IsCsv(string? contentType) =>
        contentType is not null && contentType.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase);

    private static bool IsJson(string? contentType) =>
        contentType is not null && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || contentType.StartsWith("application/x-ndjson", StringComparison.OrdinalIgnoreCase)
            || contentType.StartsWith("application/jsonl", StringComparison.OrdinalIgnoreCase));

    private static string? NonEmpty(Microsoft.Extensions.Primitives.StringValues value) =>
        string.IsNullOrEmpty(value.ToString()) ? null : value.ToString();

    private static string? User(HttpContext ctx) => Auth.RequestUser.Name(ctx);
}
