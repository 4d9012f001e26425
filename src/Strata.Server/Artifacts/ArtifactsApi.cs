using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Strata.Core.Artifacts;
using Strata.Core.Errors;

namespace Strata.Server.Artifacts;

/// <summary>
/// The MLflow artifact proxy (mlflow-artifacts.md §3) under <c>/api/2.0/mlflow-artifacts</c> and
/// <c>/ajax-api/2.0/mlflow-artifacts</c>. Every path goes through <see cref="ArtifactPath.Validate"/>;
/// bodies stream between the connection and the store.
/// </summary>
public static partial class ArtifactsApi
{
    public static readonly string[] Prefixes = ["/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts"];

    public static IEndpointRouteBuilder MapArtifactsApi(this IEndpointRouteBuilder app)
    {
        var serve = app.ServiceProvider.GetRequiredService<IOptions<ArtifactsOptions>>().Value.ServeArtifacts;
        foreach (var prefix in Prefixes)
        {
            var group = app.MapGroup(prefix)
                .AddEndpointFilter(new ArtifactErrorFilter(serve))
                .WithTags("Artifacts");

            group.MapPut("/artifacts/{**path}", UploadAsync).WithName(prefix + ":upload");
            group.MapMethods("/artifacts/{**path}", ["GET", "HEAD"], DownloadAsync).WithName(prefix + ":download");
            group.MapGet("/artifacts", ListAsync).WithName(prefix + ":list");
            group.MapDelete("/artifacts/{**path}", DeleteAsync).WithName(prefix + ":delete");
            MapMultipart(group, prefix);
        }

        return app;
    }

    private static async Task<IResult> UploadAsync(HttpContext http, IArtifactStore store, string? path)
    {
        var file = FilePath(http, path);
        AllowUnlimitedBody(http);
        await store.UploadAsync(file, http.Request.Body, http.RequestAborted);
        return Empty();
    }

    private static async Task<IResult> DownloadAsync(HttpContext http, IArtifactStore store, string? path)
    {
        var file = FilePath(http, path);
        var stat = await store.StatAsync(file, http.RequestAborted)
            ?? throw MlflowException.NotFound($"No artifact found at '{file}'");
        if (stat.IsDirectory)
        {
            throw MlflowException.InvalidParameter($"'{file}' is a directory, not a file; list it instead");
        }

        await ArtifactDownload.SendAsync(http, store, file, stat.Length);
        return Results.Empty;
    }

    private static async Task<IResult> ListAsync(HttpContext http, IArtifactStore store)
    {
        CheckRawTarget(http);
        var directory = ArtifactPath.Validate(http.Request.Query["path"].ToString());
        var entries = await store.ListAsync(directory, http.RequestAborted);
        var files = entries is { Count: > 0 } ? entries.Select(e => ToJson(e.Name, e)).ToList() : null;
        return Results.Json(new ListArtifactsJson(files), ArtifactsJsonContext.Default.ListArtifactsJson);
    }

    private static async Task<IResult> DeleteAsync(HttpContext http, IArtifactStore store, string? path)
    {
        await store.DeleteAsync(FilePath(http, path), http.RequestAborted);
        return Empty();
    }

    /// <summary>FileInfo JSON for a listed entry, named <paramref name="path"/>.</summary>
    public static FileInfoJson ToJson(string path, ArtifactEntry entry) =>
        new(path, entry.IsDirectory, entry.IsDirectory || entry.Size is null or 0 ? null : entry.Size);

    /// <summary>
    /// The validated path of a route value. Kestrel leaves <c>%2F</c> encoded in the path; MLflow's
    /// server (werkzeug) decodes it to a separator, so do the same before the check. Kestrel also
    /// resolves <c>..</c> segments before routing, which would quietly turn <c>a/../b</c> into <c>b</c>;
    /// the request target as sent is checked too, so such a request is refused as MLflow refuses it.
    /// </summary>
    internal static string RoutePath(HttpContext http, string? value)
    {
        CheckRawTarget(http);
        return ArtifactPath.Validate(value?.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>A route path that must name a file or directory, not the destination root.</summary>
    internal static string FilePath(HttpContext http, string? value)
    {
        var path = RoutePath(http, value);
        if (path.Length == 0)
        {
            throw MlflowException.InvalidParameter(ArtifactPath.InvalidPathMessage);
        }

        return path;
    }

    private static void CheckRawTarget(HttpContext http)
    {
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw))
        {
            return;
        }

        var query = raw.IndexOf('?');
        var target = query < 0 ? raw : raw[..query];
        if (!target.StartsWith('/') && Uri.TryCreate(target, UriKind.Absolute, out var absolute))
        {
            target = absolute.GetComponents(UriComponents.Path | UriComponents.KeepDelimiter, UriFormat.UriEscaped);
        }

        if (!ArtifactPath.IsValid(target.TrimStart('/')))
        {
            throw MlflowException.InvalidParameter(ArtifactPath.InvalidPathMessage);
        }
    }

    /// <summary>MLflow puts no limit on artifact uploads; Kestrel's default (30 MB) would cut large files.</summary>
    internal static void AllowUnlimitedBody(HttpContext http)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }
    }

    internal static IResult Empty() => Results.Json(new EmptyJson(), ArtifactsJsonContext.Default.EmptyJson);
}
