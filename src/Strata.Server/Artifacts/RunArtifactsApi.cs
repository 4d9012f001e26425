using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Strata.Core.Artifacts;
using Strata.Core.Errors;
using Strata.Core.Tracking;
using Strata.Storage.Artifacts;

namespace Strata.Server.Artifacts;

/// <summary>
/// Tracking-API routes that read a run's or logged model's artifacts (mlflow-artifacts.md §4,
/// mlflow-rest.md §5.3, §5.4, §11). Proxy URIs are served from the artifacts destination, other URIs
/// (s3:, file:, local paths) from their own storage; paths are relative to the owner's artifact root.
/// </summary>
public static class RunArtifactsApi
{
    private const long MaxUiUploadBytes = 10L << 20;

    private static readonly string[] Prefixes = ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"];

    /// <summary>Maps the routes; <paramref name="configure"/> lets the host add its own filters (e.g. artifacts-only mode).</summary>
    public static IEndpointRouteBuilder MapRunArtifactsApi(this IEndpointRouteBuilder app, Action<IEndpointConventionBuilder>? configure = null)
    {
        var conventions = new List<IEndpointConventionBuilder>();
        foreach (var prefix in Prefixes)
        {
            var group = app.MapGroup(prefix).AddEndpointFilter(new ArtifactErrorFilter(serveArtifacts: true)).WithTags("Artifacts");
            group.MapGet("/artifacts/list", ListRunArtifactsAsync);
            group.MapGet("/logged-models/{model_id}/artifacts/directories", ListLoggedModelArtifactsAsync);
            conventions.Add(group);
        }

        var ui = app.MapGroup("").AddEndpointFilter(new ArtifactErrorFilter(serveArtifacts: true)).WithTags("Artifacts");
        ui.MapMethods("/get-artifact", ["GET", "HEAD"], DownloadRunArtifactAsync);
        ui.MapMethods("/ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files", ["GET", "HEAD"], DownloadLoggedModelArtifactAsync);
        ui.MapPost("/ajax-api/2.0/mlflow/upload-artifact", UploadRunArtifactAsync);
        conventions.Add(ui);

        if (configure is not null)
        {
            conventions.ForEach(configure);
        }

        return app;
    }

    private static async Task<IResult> ListRunArtifactsAsync(HttpContext http, ITrackingStore tracking, ArtifactLocationResolver resolver, IOptions<ArtifactsOptions> options)
    {
        var run = await RequireRunAsync(http, tracking);
        var path = ArtifactPath.Validate(http.Request.Query["path"].ToString());
        var files = await ListAsync(run.Info.ArtifactUri, path, resolver, options.Value, http.RequestAborted);
        return Results.Json(new RunArtifactsJson(run.Info.ArtifactUri, files), ArtifactsJsonContext.Default.RunArtifactsJson);
    }

    private static async Task<IResult> ListLoggedModelArtifactsAsync(HttpContext http, string model_id, ITrackingStore tracking, ArtifactLocationResolver resolver, IOptions<ArtifactsOptions> options)
    {
        var model = await RequireLoggedModelAsync(tracking, model_id, http.RequestAborted);
        var path = ArtifactPath.Validate(http.Request.Query["artifact_directory_path"].ToString());
        var files = await ListAsync(model.Info.ArtifactUri, path, resolver, options.Value, http.RequestAborted);
        return Results.Json(new RunArtifactsJson(model.Info.ArtifactUri, files), ArtifactsJsonContext.Default.RunArtifactsJson);
    }

    private static async Task<IResult> DownloadRunArtifactAsync(HttpContext http, ITrackingStore tracking, ArtifactLocationResolver resolver, IOptions<ArtifactsOptions> options)
    {
        var run = await RequireRunAsync(http, tracking);
        await DownloadAsync(http, run.Info.ArtifactUri, RequiredPath(http, "path"), resolver, options.Value);
        return Results.Empty;
    }

    private static async Task<IResult> DownloadLoggedModelArtifactAsync(HttpContext http, string model_id, ITrackingStore tracking, ArtifactLocationResolver resolver, IOptions<ArtifactsOptions> options)
    {
        var model = await RequireLoggedModelAsync(tracking, model_id, http.RequestAborted);
        await DownloadAsync(http, model.Info.ArtifactUri, RequiredPath(http, "artifact_file_path"), resolver, options.Value);
        return Results.Empty;
    }

    /// <summary>The UI's upload of one small file (at most 10 MB, not empty) into a run's artifacts.</summary>
    private static async Task<IResult> UploadRunArtifactAsync(HttpContext http, ITrackingStore tracking, ArtifactLocationResolver resolver, IOptions<ArtifactsOptions> options)
    {
        var run = await RequireRunAsync(http, tracking);
        var path = RequiredPath(http, "path");
        if (http.Request.ContentLength is > MaxUiUploadBytes)
        {
            throw MlflowException.InvalidParameter($"Artifact size is too large. Max size is {MaxUiUploadBytes} bytes.");
        }

        // At most 10 MB by rule, so holding it lets an empty body be refused before anything is replaced.
        using var body = new MemoryStream();
        await using (var limited = new LimitedReadStream(http.Request.Body, MaxUiUploadBytes))
        {
            await limited.CopyToAsync(body, http.RequestAborted);
        }

        if (body.Length == 0)
        {
            throw MlflowException.InvalidParameter("Request must specify non-empty data for the artifact.");
        }

        body.Position = 0;
        using var location = Resolve(run.Info.ArtifactUri, path, resolver, options.Value);
        await location.Store.UploadAsync(location.Path, body, http.RequestAborted);
        return ArtifactsApi.Empty();
    }

    private static async Task<IReadOnlyList<FileInfoJson>?> ListAsync(string rootUri, string path, ArtifactLocationResolver resolver, ArtifactsOptions options, CancellationToken ct)
    {
        using var location = Resolve(rootUri, path, resolver, options);
        var entries = await location.Store.ListAsync(location.Path, ct);
        if (entries is not { Count: > 0 })
        {
            return null;
        }

        return entries.Select(e => ArtifactsApi.ToJson(path.Length == 0 ? e.Name : path + "/" + e.Name, e)).ToList();
    }

    private static async Task DownloadAsync(HttpContext http, string rootUri, string path, ArtifactLocationResolver resolver, ArtifactsOptions options)
    {
        using var location = Resolve(rootUri, path, resolver, options);
        var stat = await location.Store.StatAsync(location.Path, http.RequestAborted);
        if (stat is null || stat.IsDirectory)
        {
            throw MlflowException.NotFound($"No artifact file found at '{path}'");
        }

        await ArtifactDownload.SendAsync(http, location.Store, location.Path, stat.Length);
    }

    private static ArtifactLocation Resolve(string rootUri, string path, ArtifactLocationResolver resolver, ArtifactsOptions options)
    {
        if (!options.ServeArtifacts && ArtifactUri.IsProxied(rootUri))
        {
            throw MlflowException.InvalidParameter(
                $"The artifacts at '{rootUri}' are served by the artifact proxy, which is disabled on this server (--no-serve-artifacts).");
        }

        return resolver.Resolve(rootUri, path);
    }

    private static async Task<Run> RequireRunAsync(HttpContext http, ITrackingStore tracking)
    {
        var query = http.Request.Query;
        var runId = query["run_id"].ToString();
        if (runId.Length == 0)
        {
            runId = query["run_uuid"].ToString();
        }

        if (runId.Length == 0)
        {
            throw MlflowException.MissingParameter("run_id");
        }

        return await tracking.GetRunAsync(runId, http.RequestAborted)
            ?? throw MlflowException.NotFound($"Run with id={runId} not found");
    }

    private static async Task<LoggedModel> RequireLoggedModelAsync(ITrackingStore tracking, string modelId, CancellationToken ct) =>
        await tracking.GetLoggedModelAsync(modelId, ct)
        ?? throw MlflowException.NotFound($"Logged model with ID '{modelId}' not found.");

    private static string RequiredPath(HttpContext http, string field)
    {
        var path = ArtifactPath.Validate(http.Request.Query[field].ToString());
        return path.Length == 0 ? throw MlflowException.MissingParameter(field) : path;
    }

    /// <summary>Reads at most a limit from the body, failing beyond it, so an unannounced large body cannot slip through.</summary>
    private sealed class LimitedReadStream(Stream inner, long limit) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            BytesRead += read;
            if (BytesRead > limit)
            {
                throw MlflowException.InvalidParameter($"Artifact size is too large. Max size is {limit} bytes.");
            }

            return read;
        }
    }
}
