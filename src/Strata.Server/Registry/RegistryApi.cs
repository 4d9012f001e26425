using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Strata.Core.Registry;
using Strata.Core.Tracking;
using Strata.Server.Hosting;
using Strata.Server.Tracking;
using Strata.Server.Wire;

namespace Strata.Server.Registry;

/// <summary>
/// The MLflow model registry endpoints (spec §6) under <c>/api/2.0/mlflow</c> and <c>/ajax-api/2.0/mlflow</c>,
/// and Strata's own registry reads (lineage, event log) under <c>/api/2.0/strata/registry</c>.
/// </summary>
public static class RegistryApi
{
    private static readonly JsonEncodedText RegisteredModelsName = JsonEncodedText.Encode("registered_models");

    public const string StrataPrefix = "/api/2.0/strata/registry";

    public static IEndpointRouteBuilder MapRegistryApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in MlflowRoutes.Prefixes)
        {
            var g = app.MapGroup(prefix).WithTags("Registry");
            g.DisabledWhenArtifactsOnly(app.ServiceProvider);

            g.MapPost("registered-models/create", CreateRegisteredModel);
            g.MapPost("registered-models/rename", RenameRegisteredModel);
            g.MapPatch("registered-models/update", UpdateRegisteredModel);
            g.MapDelete("registered-models/delete", DeleteRegisteredModel);
            g.MapGet("registered-models/get", GetRegisteredModel);
            g.MapGet("registered-models/search", SearchRegisteredModels);
            g.MapMethods("registered-models/get-latest-versions", [HttpMethods.Post, HttpMethods.Get], GetLatestVersions);
            g.MapPost("registered-models/set-tag", SetRegisteredModelTag);
            g.MapDelete("registered-models/delete-tag", DeleteRegisteredModelTag);
            g.MapPost("registered-models/alias", SetAlias);
            g.MapDelete("registered-models/alias", DeleteAlias);
            g.MapGet("registered-models/alias", GetModelVersionByAlias);

            g.MapPost("model-versions/create", CreateModelVersion);
            g.MapGet("model-versions/get", GetModelVersion);
            g.MapPatch("model-versions/update", UpdateModelVersion);
            g.MapDelete("model-versions/delete", DeleteModelVersion);
            g.MapPost("model-versions/transition-stage", TransitionStage);
            g.MapGet("model-versions/search", SearchModelVersions);
            g.MapGet("model-versions/get-download-uri", GetDownloadUri);
            g.MapPost("model-versions/set-tag", SetModelVersionTag);
            g.MapDelete("model-versions/delete-tag", DeleteModelVersionTag);
        }

        var strata = app.MapGroup(StrataPrefix).WithTags("Registry");
        strata.DisabledWhenArtifactsOnly(app.ServiceProvider);

        strata.MapGet("lineage", GetLineage);
        strata.MapGet("events", ListEvents);

        var download = app.MapModelVersionArtifactsApi();
        download.DisabledWhenArtifactsOnly(app.ServiceProvider);

        return app;
    }

    // ---- registered models ----

    private static async Task<IResult> CreateRegisteredModel(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var model = await service.CreateRegisteredModelAsync(
            r.String("name"), Tags(r), r.String("description"), r.String("deployment_job_id"), User(ctx), ctx.RequestAborted);
        return RegisteredModelResult(model);
    }

    private static async Task<IResult> RenameRegisteredModel(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var model = await service.RenameRegisteredModelAsync(r.String("name"), r.String("new_name"), User(ctx), ctx.RequestAborted);
        return RegisteredModelResult(model);
    }

    private static async Task<IResult> UpdateRegisteredModel(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var model = await service.UpdateRegisteredModelAsync(r.String("name"), r.String("description"), User(ctx), ctx.RequestAborted);
        return RegisteredModelResult(model);
    }

    private static async Task<IResult> DeleteRegisteredModel(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.DeleteRegisteredModelAsync(r.String("name"), User(ctx), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> GetRegisteredModel(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        return RegisteredModelResult(await service.GetRegisteredModelAsync(r.String("name"), ctx.RequestAborted));
    }

    private static async Task<IResult> SearchRegisteredModels(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var page = await service.SearchRegisteredModelsAsync(
            r.String("filter"), r.Strings("order_by"), r.Int64("max_results"), r.String("page_token"), ctx.RequestAborted, await Auth.ReadScopes.RegisteredModelsAsync(ctx));
        return WireResults.Page(page, RegisteredModelsName, RegistryJson.WriteRegisteredModel);
    }

    private static async Task<IResult> GetLatestVersions(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var versions = await service.GetLatestVersionsAsync(r.String("name"), r.Strings("stages"), ctx.RequestAborted);
        return WireResults.Object(versions, static (w, versions) => RegistryJson.WriteModelVersions(w, "model_versions"u8, versions));
    }

    private static async Task<IResult> SetRegisteredModelTag(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.SetRegisteredModelTagAsync(r.String("name"), r.String("key"), r.String("value"), User(ctx), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> DeleteRegisteredModelTag(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.DeleteRegisteredModelTagAsync(r.String("name"), r.String("key"), User(ctx), ctx.RequestAborted);
        return WireResults.Empty;
    }

    // ---- aliases ----

    private static async Task<IResult> SetAlias(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.SetAliasAsync(r.String("name"), r.String("alias"), r.String("version"), User(ctx), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> DeleteAlias(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.DeleteAliasAsync(r.String("name"), r.String("alias"), User(ctx), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> GetModelVersionByAlias(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        return ModelVersionResult(await service.GetModelVersionByAliasAsync(r.String("name"), r.String("alias"), ctx.RequestAborted));
    }

    // ---- model versions ----

    private static async Task<IResult> CreateModelVersion(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var version = await service.CreateModelVersionAsync(
            r.String("name"), r.String("source"), r.String("run_id"), Tags(r), r.String("run_link"), r.String("description"),
            r.String("model_id"), User(ctx), ctx.RequestAborted);
        return ModelVersionResult(version);
    }

    private static async Task<IResult> GetModelVersion(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        return ModelVersionResult(await service.GetModelVersionAsync(r.String("name"), r.String("version"), ctx.RequestAborted));
    }

    private static async Task<IResult> UpdateModelVersion(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var version = await service.UpdateModelVersionAsync(r.String("name"), r.String("version"), r.String("description"), User(ctx), ctx.RequestAborted);
        return ModelVersionResult(version);
    }

    private static async Task<IResult> DeleteModelVersion(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.DeleteModelVersionAsync(r.String("name"), r.String("version"), User(ctx), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> TransitionStage(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var version = await service.TransitionModelVersionStageAsync(
            r.String("name"), r.String("version"), r.String("stage"), r.Boolean("archive_existing_versions") ?? false, User(ctx), ctx.RequestAborted);
        return ModelVersionResult(version);
    }

    private static async Task<IResult> SearchModelVersions(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var page = await service.SearchModelVersionsAsync(
            r.String("filter"), r.Strings("order_by"), r.Int64("max_results"), r.String("page_token"), ctx.RequestAborted, await Auth.ReadScopes.RegisteredModelsAsync(ctx));
        return WireResults.Object(page, static (w, page) =>
        {
            RegistryJson.WriteModelVersions(w, "model_versions"u8, page.Items);
            TrackingJson.WriteNextPageToken(w, page.NextPageToken);
        });
    }

    private static async Task<IResult> GetDownloadUri(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var uri = await service.GetModelVersionDownloadUriAsync(r.String("name"), r.String("version"), ctx.RequestAborted);
        return WireResults.Object(uri, static (w, uri) => w.WriteString("artifact_uri"u8, uri));
    }

    private static async Task<IResult> SetModelVersionTag(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.SetModelVersionTagAsync(r.String("name"), r.String("version"), r.String("key"), r.String("value"), User(ctx), ctx.RequestAborted);
        return WireResults.Empty;
    }

    private static async Task<IResult> DeleteModelVersionTag(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await service.DeleteModelVersionTagAsync(r.String("name"), r.String("version"), r.String("key"), User(ctx), ctx.RequestAborted);
        return WireResults.Empty;
    }

    // ---- Strata registry reads ----

    private static async Task<IResult> GetLineage(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var lineage = await service.GetLineageAsync(r.String("name"), r.String("version"), ctx.RequestAborted);
        return WireResults.Object(lineage, RegistryJson.WriteLineage);
    }

    private static async Task<IResult> ListEvents(HttpContext ctx, RegistryService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var page = await service.ListEventsAsync(r.String("name"), r.Int64("max_results"), r.String("page_token"), ctx.RequestAborted);
        return WireResults.Object(page, static (w, page) =>
        {
            w.WriteStartArray("events"u8);
            foreach (var e in page.Items)
            {
                RegistryJson.WriteEvent(w, e);
            }

            w.WriteEndArray();
            TrackingJson.WriteNextPageToken(w, page.NextPageToken);
        });
    }

    // ---- helpers ----

    private static IResult RegisteredModelResult(RegisteredModel model) =>
        WireResults.Object(model, static (w, m) =>
        {
            w.WritePropertyName("registered_model"u8);
            RegistryJson.WriteRegisteredModel(w, m);
        });

    private static IResult ModelVersionResult(ModelVersion version) =>
        WireResults.Object(version, static (w, v) =>
        {
            w.WritePropertyName("model_version"u8);
            RegistryJson.WriteModelVersion(w, v);
        });

    private static IReadOnlyList<KeyValue> Tags(WireRequest r) =>
        r.Objects("tags", static (e, path) => new KeyValue(
            Field(e, "key", path) ?? string.Empty,
            Field(e, "value", path) ?? string.Empty));

    private static string? Field(JsonElement e, string name, FieldPath path) =>
        e.TryGetProperty(name, out var value) ? WireValues.String(value, path, name) : null;

    /// <summary>The authenticated caller, when authentication has put one on the request.</summary>
    private static string? User(HttpContext ctx) => Auth.RequestUser.Name(ctx);
}
