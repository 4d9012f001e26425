using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Strata.Core.Artifacts;
using Strata.Core.Errors;
using Strata.Core.Registry;
using Strata.Server.Artifacts;
using Strata.Storage.Artifacts;

namespace Strata.Server.Registry;

/// <summary>
/// The UI's download of one file of a model version (mlflow-rest.md §11): the path is relative to the
/// version's download URI, served from the proxy destination or the URI's own storage.
/// </summary>
public static class ModelVersionArtifactsApi
{
    public const string Route = "/model-versions/get-artifact";

    public static RouteHandlerBuilder MapModelVersionArtifactsApi(this IEndpointRouteBuilder app) =>
        app.MapMethods(Route, [HttpMethods.Get, HttpMethods.Head], DownloadAsync)
            .AddEndpointFilter(new ArtifactErrorFilter(serveArtifacts: true))
            .WithTags("Registry");

    private static async Task<IResult> DownloadAsync(
        HttpContext http, RegistryService registry, ArtifactLocationResolver resolver, IOptions<ArtifactsOptions> options)
    {
        var query = http.Request.Query;
        var path = ArtifactPath.Validate(query["path"].ToString());
        if (path.Length == 0)
        {
            throw MlflowException.MissingParameter("path");
        }

        var root = await registry.GetModelVersionDownloadUriAsync(query["name"].ToString(), query["version"].ToString(), http.RequestAborted);
        if (!options.Value.ServeArtifacts && ArtifactUri.IsProxied(root))
        {
            throw MlflowException.InvalidParameter(
                $"The artifacts at '{root}' are served by the artifact proxy, which is disabled on this server (--no-serve-artifacts).");
        }

        using var location = resolver.Resolve(root, path);
        var stat = await location.Store.StatAsync(location.Path, http.RequestAborted);
        if (stat is null || stat.IsDirectory)
        {
            throw MlflowException.NotFound($"No artifact file found at '{path}'");
        }

        await ArtifactDownload.SendAsync(http, location.Store, location.Path, stat.Length);
        return Results.Empty;
    }
}
