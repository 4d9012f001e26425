using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Strata.Core.Errors;
using Strata.Core.Jobs;
using Strata.Core.Tracking;
using Strata.Server.Artifacts;
using Strata.Server.Hosting;
using Strata.Server.Wire;
using Strata.Storage.Artifacts;

namespace Strata.Server.Jobs;

/// <summary>
/// Scheduled jobs under <c>/api/2.0/strata/jobs</c>, resource style: <c>POST</c> creates, <c>GET</c> lists,
/// <c>GET|PATCH|DELETE /{name}</c>, <c>POST /{name}/run</c>, <c>GET /{name}/executions</c>, and per execution
/// <c>GET /executions/{id}</c>, <c>POST /executions/{id}/cancel</c>, <c>GET /executions/{id}/logs?stream=stdout|stderr</c>.
/// Answers use <see cref="JobJson"/>'s form.
/// </summary>
public static class JobsApi
{
    public const string Prefix = "/api/2.0/strata/jobs";

    private static readonly JsonEncodedText JobsName = JsonEncodedText.Encode("jobs");
    private static readonly JsonEncodedText ExecutionsName = JsonEncodedText.Encode("executions");

    public static IEndpointRouteBuilder MapJobsApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(Prefix).WithTags("Jobs");
        g.DisabledWhenArtifactsOnly(app.ServiceProvider);

        g.MapPost("", Create);
        g.MapGet("", List);
        g.MapGet("executions/{execution_id}", GetExecution);
        g.MapPost("executions/{execution_id}/cancel", Cancel);
        g.MapGet("executions/{execution_id}/logs", Logs);
        g.MapGet("{name}", Get);
        g.MapPatch("{name}", Update);
        g.MapDelete("{name}", Delete);
        g.MapPost("{name}/run", Run);
        g.MapGet("{name}/executions", ListExecutions);
        return app;
    }

    private static async Task<IResult> Create(HttpContext ctx, JobService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        return JobResult(await service.CreateAsync(Changes(r), ctx.RequestAborted));
    }

    private static async Task<IResult> List(HttpContext ctx, JobService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        var page = await service.ListAsync(r.Int64("max_results"), r.String("page_token"), ctx.RequestAborted);
        return WireResults.Page(page, JobsName, JobJson.WriteJob);
    }

    private static async Task<IResult> Get(string name, JobService service, CancellationToken ct) =>
        JobResult(await service.GetAsync(name, ct));

    private static async Task<IResult> Update(string name, HttpContext ctx, JobService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        return JobResult(await service.UpdateAsync(name, Changes(r), ctx.RequestAborted));
    }

    private static async Task<IResult> Delete(string name, JobService service, CancellationToken ct)
    {
        await service.DeleteAsync(name, ct);
        return WireResults.Empty;
    }

    private static async Task<IResult> Run(string name, JobService service, CancellationToken ct) =>
        ExecutionResult(await service.RunAsync(name, ct));

    private static async Task<IResult> ListExecutions(string name, HttpContext ctx, JobService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        var page = await service.ListExecutionsAsync(name, r.Int64("max_results"), r.String("page_token"), ctx.RequestAborted);
        return WireResults.Page(page, ExecutionsName, JobJson.WriteExecution);
    }

    private static async Task<IResult> GetExecution(string execution_id, JobService service, CancellationToken ct) =>
        ExecutionResult(await service.GetExecutionAsync(execution_id, ct));

    private static async Task<IResult> Cancel(string execution_id, JobService service, CancellationToken ct) =>
        ExecutionResult(await service.CancelAsync(execution_id, ct));

    /// <summary>The execution's stdout or stderr, read back from its run's artifacts (stored as the process writes them, complete when it ends).</summary>
    private static async Task<IResult> Logs(string execution_id, HttpContext ctx, JobService service, ITrackingStore tracking, ArtifactLocationResolver artifacts)
    {
        var stream = ctx.Request.Query["stream"].ToString() is { Length: > 0 } s ? s : "stdout";
        var path = stream switch
        {
            "stdout" => JobRunTracking.StdoutPath,
            "stderr" => JobRunTracking.StderrPath,
            _ => throw MlflowException.InvalidParameter($"Invalid value '{stream}' for parameter 'stream': expected stdout or stderr."),
        };
        var execution = await service.GetExecutionAsync(execution_id, ctx.RequestAborted);
        var run = execution.RunId is { } runId ? await tracking.GetRunAsync(runId, ctx.RequestAborted) : null;
        if (run is null)
        {
            throw MlflowException.NotFound($"Job execution '{execution_id}' has no tracking run, so no logs (status {execution.Status}).");
        }

        using var location = artifacts.Resolve(run.Info.ArtifactUri, path);
        var stat = await location.Store.StatAsync(location.Path, ctx.RequestAborted);
        if (stat is null || stat.IsDirectory)
        {
            throw MlflowException.NotFound($"No {stream} stored yet for job execution '{execution_id}' (status {execution.Status}): logs are stored as the process ends.");
        }

        await ArtifactDownload.SendAsync(ctx, location.Store, location.Path, stat.Length);
        return Results.Empty;
    }

    /// <summary>The create/update body; absent fields are null (kept on update), and an empty string clears an optional one.</summary>
    private static JobChanges Changes(WireRequest r)
    {
        IReadOnlyList<string>? Strings(string field) => r.TryGetElement(field, out _) ? r.Strings(field) : null;
        return new JobChanges(
            Name: r.String("name"),
            Command: r.String("command"),
            Args: Strings("args"),
            Env: r.TryGetElement("env", out var env) ? Env(env) : null,
            WorkingDir: r.String("working_dir"),
            TimeoutSeconds: r.Int64("timeout_seconds"),
            ExperimentId: r.String("experiment_id"),
            Schedule: r.String("schedule"),
            TimeZone: r.String("timezone"),
            EventTypes: Strings("event_types"),
            EventModelName: r.String("event_model_name"),
            Enabled: r.Boolean("enabled"),
            Description: r.String("description"),
            Runner: r.String("runner"),
            Kubernetes: r.TryGetElement("kubernetes", out var kubernetes) && kubernetes.ValueKind != JsonValueKind.Null ? JobJson.ReadKubernetes(kubernetes) : null,
            ConcurrencyPolicy: r.String("concurrency_policy"),
            MaxConcurrent: r.Int64("max_concurrent"));
    }

    private static Dictionary<string, string> Env(JsonElement env)
    {
        if (env.ValueKind != JsonValueKind.Object)
        {
            throw MlflowException.InvalidParameter("Invalid value for parameter 'env': expected a JSON object of names to string values.");
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in env.EnumerateObject())
        {
            result[p.Name] = p.Value.ValueKind == JsonValueKind.String
                ? p.Value.GetString()!
                : throw MlflowException.InvalidParameter($"Invalid value for parameter 'env.{p.Name}': expected a string.");
        }

        return result;
    }

    private static IResult JobResult(Job job) =>
        WireResults.Object(job, static (w, j) =>
        {
            w.WritePropertyName("job"u8);
            JobJson.WriteJob(w, j);
        });

    private static IResult ExecutionResult(JobExecution execution) =>
        WireResults.Object(execution, static (w, e) =>
        {
            w.WritePropertyName("execution"u8);
            JobJson.WriteExecution(w, e);
        });
}
