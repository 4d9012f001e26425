using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Core.Deployments;
using Strata.Core.Errors;
using Strata.Server.Wire;

namespace Strata.Server.Deployments;

/// <summary>
/// Deployments under <c>/api/2.0/strata/deployments</c>, resource style: <c>POST</c> creates, <c>GET</c> lists,
/// <c>GET|PATCH|DELETE /{name}</c>, <c>GET /{name}/revisions[/{revision}]</c>, <c>POST /{name}/rollback</c> and
/// <c>GET /{name}/metrics</c>. Bodies and answers use <see cref="DeploymentJson"/>'s form.
/// </summary>
public static class DeploymentsApi
{
    public const string Prefix = "/api/2.0/strata/deployments";

    private static readonly JsonEncodedText DeploymentsName = JsonEncodedText.Encode("deployments");
    private static readonly JsonEncodedText RevisionsName = JsonEncodedText.Encode("revisions");

    public static IEndpointRouteBuilder MapDeploymentsApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(Prefix).WithTags("Deployments");
        g.MapPost("", Create);
        g.MapGet("", List);
        g.MapGet("{name}", Get);
        g.MapPatch("{name}", Update);
        g.MapDelete("{name}", Delete);
        g.MapGet("{name}/revisions", ListRevisions);
        g.MapGet("{name}/revisions/{revision}", GetRevision);
        g.MapPost("{name}/rollback", Rollback);
        g.MapGet("{name}/metrics", Metrics);
        return app;
    }

    private static async Task<IResult> Create(HttpContext ctx, DeploymentService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        var deployment = await service.CreateAsync(r.String("name"), Spec(r), User(ctx), ctx.RequestAborted);
        return DeploymentResult(deployment);
    }

    private static async Task<IResult> Get(HttpContext ctx, string name, DeploymentService service) =>
        DeploymentResult(await service.GetAsync(name, ctx.RequestAborted));

    private static async Task<IResult> List(HttpContext ctx, DeploymentService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        var page = await service.ListAsync(r.Int64("max_results"), r.String("page_token"), await Auth.ReadScopes.DeploymentsAsync(ctx), ctx.RequestAborted);
        return WireResults.Page(page, DeploymentsName, DeploymentJson.WriteDeployment);
    }

    private static async Task<IResult> Update(HttpContext ctx, string name, DeploymentService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        CheckName(r, name);
        var deployment = await service.UpdateAsync(name, r.Int64("revision"), Spec(r), User(ctx), ctx.RequestAborted);
        return DeploymentResult(deployment);
    }

    private static async Task<IResult> Delete(HttpContext ctx, string name, DeploymentService service)
    {
        await service.DeleteAsync(name, User(ctx), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> ListRevisions(HttpContext ctx, string name, DeploymentService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        var page = await service.ListRevisionsAsync(name, r.Int64("max_results"), r.String("page_token"), ctx.RequestAborted);
        return WireResults.Page(page, RevisionsName, DeploymentJson.WriteRevision);
    }

    private static async Task<IResult> GetRevision(HttpContext ctx, string name, string revision, DeploymentService service)
    {
        var number = long.TryParse(revision, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n
            : throw MlflowException.InvalidParameter($"Parameter 'revision' must be a revision number, got '{revision}'.");
        var found = await service.GetRevisionAsync(name, number, ctx.RequestAborted);
        return WireResults.Object(found, static (w, rev) =>
        {
            w.WritePropertyName("revision"u8);
            DeploymentJson.WriteRevision(w, rev);
        });
    }

    private static async Task<IResult> Rollback(HttpContext ctx, string name, DeploymentService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        CheckName(r, name);
        var deployment = await service.RollbackAsync(name, r.Int64("to_revision"), r.Int64("revision"), User(ctx), ctx.RequestAborted);
        return DeploymentResult(deployment);
    }

    private static async Task<IResult> Metrics(HttpContext ctx, string name, DeploymentService service, IServiceMetricsStore metrics, TimeProvider time)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        _ = await service.GetAsync(name, ctx.RequestAborted);
        var bucket = r.String("bucket") ?? "minute";
        var resolution = bucket switch
        {
            "minute" => MetricsResolution.Minute,
            "hour" => MetricsResolution.Hour,
            _ => throw MlflowException.InvalidParameter($"Parameter 'bucket' must be 'minute' or 'hour', got '{bucket}'."),
        };
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var to = r.Int64("to") ?? now + 1;
        var from = r.Int64("from") ?? to - (resolution == MetricsResolution.Hour ? 86_400_000 : 3_600_000);
        if (from >= to)
        {
            throw MlflowException.InvalidParameter($"Parameter 'from' ({from}) must be before 'to' ({to}).");
        }

        // Buckets that start before 'from' but overlap it are included: a bucket is the smallest unit stored.
        var start = ServiceMetricsMerge.BucketStart(from, resolution);
        var rows = await metrics.ReadAsync(name, resolution, start, to, ctx.RequestAborted);
        var points = ServiceMetricsMerge.Merge(rows, resolution);
        var totals = ServiceMetricsMerge.Summarize(rows, start, Math.Max(to, start + 1));
        return WireResults.Object((name, bucket, start, to, points, totals), static (w, s) =>
        {
            w.WriteString("deployment_name"u8, s.name);
            w.WriteString("bucket"u8, s.bucket);
            w.WriteNumber("from"u8, s.start);
            w.WriteNumber("to"u8, s.to);
            w.WriteStartArray("points"u8);
            foreach (var p in s.points)
            {
                WritePoint(w, p);
            }

            w.WriteEndArray();
            w.WriteStartArray("totals"u8);
            foreach (var p in s.totals)
            {
                WritePoint(w, p);
            }

            w.WriteEndArray();
        });
    }

    private static void WritePoint(Utf8JsonWriter w, ServiceMetricsPoint p)
    {
        w.WriteStartObject();
        w.WriteString("model_name"u8, p.ModelName);
        w.WriteString("model_version"u8, p.ModelVersion);
        w.WriteBoolean("shadow"u8, p.Shadow);
        w.WriteNumber("timestamp"u8, p.BucketStartMs);
        w.WriteNumber("requests"u8, p.Requests);
        w.WriteNumber("errors"u8, p.Errors);
        w.WriteNumber("error_rate"u8, p.ErrorRate);
        w.WriteNumber("latency_p50_ms"u8, p.LatencyP50Ms);
        w.WriteNumber("latency_p95_ms"u8, p.LatencyP95Ms);
        w.WriteNumber("latency_p99_ms"u8, p.LatencyP99Ms);
        w.WriteNumber("latency_mean_ms"u8, p.MeanLatencyMs);
        w.WriteNumber("throughput_per_second"u8, p.ThroughputPerSecond);
        w.WriteNumber("cpu_ms"u8, p.CpuMilliseconds);
        w.WriteNumber("allocated_bytes"u8, p.AllocatedBytes);
        w.WriteNumber("cpu_ms_per_1000_predictions"u8, p.CpuMsPer1000Predictions);
        w.WriteNumber("replicas"u8, p.Replicas);
        w.WriteEndObject();
    }

    private static DeploymentSpec Spec(WireRequest r) =>
        DeploymentJson.ReadSpec(name => r.TryGetElement(name, out var e) ? e : null);

    /// <summary>A body may repeat the name; it must then agree with the path.</summary>
    private static void CheckName(WireRequest r, string name)
    {
        if (r.String("name") is { } body && body != name)
        {
            throw MlflowException.InvalidParameter($"Parameter 'name' ('{body}') does not match the deployment in the path ('{name}').");
        }
    }

    private static IResult DeploymentResult(Deployment deployment) =>
        WireResults.Object(deployment, static (w, d) =>
        {
            w.WritePropertyName("deployment"u8);
            DeploymentJson.WriteDeployment(w, d);
        });

    private static string? User(HttpContext ctx) => Auth.RequestUser.Name(ctx);
}
