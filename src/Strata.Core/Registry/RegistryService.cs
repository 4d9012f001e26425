using Strata.Core.Errors;
using Strata.Core.Search;
using Strata.Core.Tracking;

namespace Strata.Core.Registry;

/// <summary>
/// The model registry's rules (spec §6): validates wire input, resolves sources and
/// <c>models:/</c> URIs, and calls the store. Versions arrive as wire strings and are parsed here.
/// </summary>
public sealed class RegistryService(IRegistryStore store, ITrackingStore tracking, TimeProvider time)
{
    public const int DefaultRegisteredModelsPageSize = 100;
    public const int MaxRegisteredModelsPageSize = 1000;
    public const int DefaultModelVersionsPageSize = 10_000;
    public const int MaxModelVersionsPageSize = 200_000;
    public const int DefaultEventsPageSize = 100;
    public const int MaxEventsPageSize = 1000;

    public IRegistryStore Store => store;

    // ---- registered models ----

    public Task<RegisteredModel> CreateRegisteredModelAsync(string? name, IReadOnlyList<KeyValue>? tags, string? description, string? deploymentJobId, string? user, CancellationToken ct)
    {
        RegistryValidation.RequireName(name);
        var validTags = ValidateTags(tags, RegistryValidation.MaxRegisteredModelTagValueLength);
        return store.CreateRegisteredModelAsync(new NewRegisteredModel(name!, description, validTags, deploymentJobId), Write(user), ct);
    }

    public async Task<RegisteredModel> GetRegisteredModelAsync(string? name, CancellationToken ct)
    {
        RegistryValidation.RequireName(name);
        return await store.GetRegisteredModelAsync(name!, ct).ConfigureAwait(false) ?? throw ModelNotFound(name!);
    }

    public Task<RegisteredModel> RenameRegisteredModelAsync(string? name, string? newName, string? user, CancellationToken ct)
    {
        RegistryValidation.RequireName(name);
        RegistryValidation.RequireName(newName, "new_name");
        return store.RenameRegisteredModelAsync(name!, newName!, Write(user), ct);
    }

    public Task<RegisteredModel> UpdateRegisteredModelAsync(string? name, string? description, string? user, CancellationToken ct)
    {
        RegistryValidation.RequireName(name);
        return store.UpdateRegisteredModelAsync(name!, description, Write(user), ct);
    }

    public Task DeleteRegisteredModelAsync(string? name, string? user, CancellationToken ct)
    {
        RegistryValidation.RequireName(name);
        return store.DeleteRegisteredModelAsync(name!, Write(user), ct);
    }

    /// <summary>Parses the wire filter and order_by (§10.3) and searches.</summary>
    public Task<Page<RegisteredModel>> SearchRegisteredModelsAsync(
        string? filter, IReadOnlyList<string>? orderBy, long? maxResults, string? pageToken, CancellationToken ct, Auth.ReadScope? readable = null) =>
        SearchRegisteredModelsAsync(
            SearchFilterParser.Parse(filter, SearchTarget.RegisteredModels), OrderByParser.Parse(orderBy, SearchTarget.RegisteredModels), maxResults, pageToken, ct, readable);

    public Task<Page<RegisteredModel>> SearchRegisteredModelsAsync(
        IReadOnlyList<Comparison> filter, IReadOnlyList<OrderTerm> orderBy, long? maxResults, string? pageToken, CancellationToken ct, Auth.ReadScope? readable = null)
    {
        var max = PageSize(maxResults, DefaultRegisteredModelsPageSize, MaxRegisteredModelsPageSize);
        return store.SearchRegisteredModelsAsync(new RegisteredModelQuery(filter, orderBy, max, pageToken, readable), ct);
    }

    public Task SetRegisteredModelTagAsync(string? name, string? key, string? value, string? user, CancellationToken ct)
    {
        RegistryValidation.RequireName(name);
        RegistryValidation.ValidateTagKey(key);
        if (value is null)
        {
            throw MlflowException.MissingParameter("value");
        }

        RegistryValidation.ValidateTagValue(value, RegistryValidation.MaxRegisteredModelTagValueLength, key!);
        return store.SetRegisteredModelTagAsync(name!, new KeyValue(key!, value), Write(user), ct);
    }

    public Task DeleteRegisteredModelTagAsync(string? name, string? key, string? user, CancellationToken ct)
    {
        RegistryValidation.RequireName(name);
        RegistryValidation.ValidateTagKey(key);
        return store.DeleteRegisteredModelTagAsync(name!, key!, Write(user), ct);
    }

    /// <summary>Highest version per requested stage; no stages means all four.</summary>
    public Task<IReadOnlyList<ModelVersion>> GetLatestVersionsAsync(string? name, IReadOnlyList<string>? stages, CancellationToken ct)
    {
        RegistryValidation.RequireName(name);
        var canonical = stages is null || stages.Count == 0
            ? ModelStages.All
            : stages.Select(ModelStages.Canonicalize).Distinct(StringComparer.Ordinal).ToList();
        return store.GetLatestVersionsAsync(name!, canonical, ct);
    }

    // ---- aliases ----

    public Task SetAliasAsync(string? name, string? alias, string? version, string? user, CancellationToken ct)
    {
        RegistryValidation.RequireName(name);
        RegistryValidation.ValidateAlias(alias);
        var number = RegistryValidation.ParseVersion(version);
        return store.SetAliasAsync(name!, alias!, number, Write(user), ct);
    }

    public Task DeleteAliasAsync(string? name, string? alias, string? user, CancellationToken ct)
    {
        RegistryValidation.RequireName(name);
        RegistryValidation.Require(alias, "alias");
        return store.DeleteAliasAsync(name!, alias!, Write(user), ct);
    }

    /// <summary>An unknown alias is 400 (MLflow's choice); <c>latest</c> is the newest version.</summary>
    public async Task<ModelVersion> GetModelVersionByAliasAsync(string? name, string? alias, CancellationToken ct)
    {
        RegistryValidation.RequireName(name);
        RegistryValidation.Require(alias, "alias");
        var found = string.Equals(alias, "latest", StringComparison.OrdinalIgnoreCase)
            ? await store.GetNewestModelVersionAsync(name!, ct).ConfigureAwait(false)
            : await store.GetModelVersionByAliasAsync(name!, alias!, ct).ConfigureAwait(false);
        return found ?? throw MlflowException.InvalidParameter($"Registered model alias {alias} not found.");
    }

    // ---- model versions ----

    public async Task<ModelVersion> CreateModelVersionAsync(
        string? name, string? source, string? runId, IReadOnlyList<KeyValue>? tags, string? runLink, string? description, string? modelId, string? user, CancellationToken ct)
    {
        RegistryValidation.RequireName(name);
        RegistryValidation.Require(source, "source");
        var validTags = ValidateTags(tags, RegistryValidation.MaxModelVersionTagValueLength);
        runId = string.IsNullOrEmpty(runId) ? null : runId;
        modelId = string.IsNullOrEmpty(modelId) ? null : modelId;

        // A prompt version's source is a placeholder the client makes up (MLflow 3 sends "dummy-source" or
        // "prompt-template"); like MLflow's server, nothing about it is checked or resolved.
        string? storageLocation = null;
        if (!PromptTags.MarksPrompt(validTags))
        {
            (storageLocation, runId, modelId) = await ResolveSourceAsync(source!, runId, modelId, ct).ConfigureAwait(false);
        }

        var version = new NewModelVersion(name!, source!, runId, runLink, description, validTags, modelId, storageLocation);
        return await store.CreateModelVersionAsync(version, Write(user), ct).ConfigureAwait(false);
    }

    /// <summary>Checks a model version's source and resolves where its files are, with the run and logged model it implies.</summary>
    private async Task<(string? StorageLocation, string? RunId, string? ModelId)> ResolveSourceAsync(
        string source, string? runId, string? modelId, CancellationToken ct)
    {
        string? storageLocation = null;
        var scheme = ModelSource.Scheme(source);
        if (ModelUri.IsModelsUri(source))
        {
            ModelSource.ValidateNonLocal(source);
            var uri = ModelUri.Parse(source);
            if (uri.Kind == ModelUriKind.LoggedModel)
            {
                var logged = await tracking.GetLoggedModelAsync(uri.Reference, ct).ConfigureAwait(false)
                    ?? throw MlflowException.NotFound($"Logged model with id={uri.Reference} not found.");
                storageLocation = uri.Under(logged.Info.ArtifactUri);
                modelId ??= logged.Info.ModelId;
                runId ??= logged.Info.SourceRunId;
            }
            else
            {
                try
                {
                    storageLocation = await ResolveArtifactUriAsync(source, ct).ConfigureAwait(false);
                }
                catch (MlflowException e)
                {
                    throw MlflowException.InvalidParameter($"Unable to fetch model from model URI source artifact location '{source}'. Error: {e.Message}");
                }
            }
        }
        else if (scheme == "runs")
        {
            ModelSource.ValidateNonLocal(source);
            var path = ModelSource.PathOf(source).TrimStart('/');
            var parts = path.Split('/', 2);
            if (parts[0].Length == 0)
            {
                throw ModelSource.InvalidSource(source);
            }

            var run = await tracking.GetRunAsync(parts[0], ct).ConfigureAwait(false)
                ?? throw MlflowException.NotFound($"Run with id={parts[0]} not found");
            storageLocation = parts.Length > 1 && parts[1].Length > 0
                ? run.Info.ArtifactUri.TrimEnd('/') + "/" + parts[1].Trim('/')
                : run.Info.ArtifactUri;
            runId ??= parts[0];
        }
        else if (ModelSource.IsLocal(source))
        {
            await ValidateLocalSourceAsync(source, runId, modelId, ct).ConfigureAwait(false);
        }
        else
        {
            ModelSource.ValidateNonLocal(source);
        }

        return (storageLocation, runId, modelId);
    }

    public async Task<ModelVersion> GetModelVersionAsync(string? name, string? version, CancellationToken ct)
    {
        RegistryValidation.RequireName(name);
        var number = RegistryValidation.ParseVersion(version);
        return await store.GetModelVersionAsync(name!, number, ct).ConfigureAwait(false) ?? throw VersionNotFound(name!, number);
    }

    public Task<ModelVersion> UpdateModelVersionAsync(string? name, string? version, string? description, string? user, CancellationToken ct)
    {
        RegistryValidation.RequireName(name);
        var number = RegistryValidation.ParseVersion(version);
        return store.UpdateModelVersionAsync(name!, number, description, Write(user), ct);
    }

    public Task DeleteModelVersionAsync(string? name, string? version, string? user, CancellationToken ct)
    {
        RegistryValidation.RequireName(name);
        var number = RegistryValidation.ParseVersion(version);
        return store.DeleteModelVersionAsync(name!, number, Write(user), ct);
    }

    public Task<ModelVersion> TransitionModelVersionStageAsync(string? name, string? version, string? stage, bool archiveExistingVersions, string? user, CancellationToken ct)
    {
        RegistryValidation.RequireName(name);
        var number = RegistryValidation.ParseVersion(version);
        RegistryValidation.Require(stage, "stage");
        var canonical = ModelStages.Canonicalize(stage);
        if (archiveExistingVersions && canonical is not (ModelStages.Staging or ModelStages.Production))
        {
            throw MlflowException.InvalidParameter(
                $"Model version transition cannot archive existing model versions because '{canonical}' is not a Model Registry stage that supports it; use 'Staging' or 'Production'.");
        }

        return store.TransitionModelVersionStageAsync(name!, number, canonical, archiveExistingVersions, Write(user), ct);
    }

    /// <summary>Parses the wire filter and order_by (§10.4) and searches.</summary>
    public Task<Page<ModelVersion>> SearchModelVersionsAsync(
        string? filter, IReadOnlyList<string>? orderBy, long? maxResults, string? pageToken, CancellationToken ct, Auth.ReadScope? readable = null) =>
        SearchModelVersionsAsync(
            SearchFilterParser.Parse(filter, SearchTarget.ModelVersions), OrderByParser.Parse(orderBy, SearchTarget.ModelVersions), maxResults, pageToken, ct, readable);

    public Task<Page<ModelVersion>> SearchModelVersionsAsync(
        IReadOnlyList<Comparison> filter, IReadOnlyList<OrderTerm> orderBy, long? maxResults, string? pageToken, CancellationToken ct, Auth.ReadScope? readable = null)
    {
        var max = PageSize(maxResults, DefaultModelVersionsPageSize, MaxModelVersionsPageSize);
        return store.SearchModelVersionsAsync(new ModelVersionQuery(filter, orderBy, max, pageToken, readable), ct);
    }

    public async Task<string> GetModelVersionDownloadUriAsync(string? name, string? version, CancellationToken ct)
    {
        var found = await GetModelVersionAsync(name, version, ct).ConfigureAwait(false);
        return await DownloadUriAsync(found, ct).ConfigureAwait(false);
    }

    public Task SetModelVersionTagAsync(string? name, string? version, string? key, string? value, string? user, CancellationToken ct)
    {
        RegistryValidation.RequireName(name);
        var number = RegistryValidation.ParseVersion(version);
        RegistryValidation.ValidateTagKey(key);
        if (value is null)
        {
            throw MlflowException.MissingParameter("value");
        }

        RegistryValidation.ValidateTagValue(value, RegistryValidation.MaxModelVersionTagValueLength, key!);
        return store.SetModelVersionTagAsync(name!, number, new KeyValue(key!, value), Write(user), ct);
    }

    public Task DeleteModelVersionTagAsync(string? name, string? version, string? key, string? user, CancellationToken ct)
    {
        RegistryValidation.RequireName(name);
        var number = RegistryValidation.ParseVersion(version);
        RegistryValidation.ValidateTagKey(key);
        return store.DeleteModelVersionTagAsync(name!, number, key!, Write(user), ct);
    }

    // ---- models:/ URIs, lineage, events ----

    /// <summary>Resolves a <c>models:/</c> URI to the registered version it names (logged-model ids: the newest version made from it).</summary>
    public async Task<ResolvedModelVersion> ResolveModelUriAsync(string uri, CancellationToken ct)
    {
        var parsed = ModelUri.Parse(uri);
        var version = await ResolveVersionAsync(parsed, ct).ConfigureAwait(false);
        return new ResolvedModelVersion(version.Name, version.Version, parsed.SubPath);
    }

    /// <summary>Where the files of a <c>models:/</c> URI are: the version's download URI (or the logged model's location) plus the sub-path.</summary>
    public async Task<string> ResolveArtifactUriAsync(string uri, CancellationToken ct)
    {
        var parsed = ModelUri.Parse(uri);
        if (parsed.Kind == ModelUriKind.LoggedModel)
        {
            var logged = await tracking.GetLoggedModelAsync(parsed.Reference, ct).ConfigureAwait(false)
                ?? throw MlflowException.NotFound($"Logged model with id={parsed.Reference} not found.");
            return parsed.Under(logged.Info.ArtifactUri);
        }

        var version = await ResolveVersionAsync(parsed, ct).ConfigureAwait(false);
        return parsed.Under(await DownloadUriAsync(version, ct).ConfigureAwait(false));
    }

    public async Task<ModelVersionLineage> GetLineageAsync(string? name, string? version, CancellationToken ct)
    {
        var found = await GetModelVersionAsync(name, version, ct).ConfigureAwait(false);
        var run = found.RunId is null ? null : await tracking.GetRunAsync(found.RunId, ct).ConfigureAwait(false);
        var experiment = run is null ? null : await tracking.GetExperimentAsync(run.Info.ExperimentId, ct).ConfigureAwait(false);
        var logged = found.ModelId is null ? null : await tracking.GetLoggedModelAsync(found.ModelId, ct).ConfigureAwait(false);
        return new ModelVersionLineage(found, run, experiment, logged);
    }

    public Task<Page<RegistryEvent>> ListEventsAsync(string? name, long? maxResults, string? pageToken, CancellationToken ct)
    {
        var max = PageSize(maxResults, DefaultEventsPageSize, MaxEventsPageSize);
        return store.ListEventsAsync(string.IsNullOrEmpty(name) ? null : name, max, pageToken, ct);
    }

    private async Task<ModelVersion> ResolveVersionAsync(ModelUri uri, CancellationToken ct)
    {
        switch (uri.Kind)
        {
            case ModelUriKind.Version:
                var number = RegistryValidation.ParseVersion(uri.Reference);
                return await store.GetModelVersionAsync(uri.Name, number, ct).ConfigureAwait(false) ?? throw VersionNotFound(uri.Name, number);
            case ModelUriKind.Alias:
                return await GetModelVersionByAliasAsync(uri.Name, uri.Reference, ct).ConfigureAwait(false);
            case ModelUriKind.Latest:
            case ModelUriKind.Stage:
                var stages = uri.Kind == ModelUriKind.Latest ? ModelStages.All : [uri.Reference];
                var latest = await store.GetLatestVersionsAsync(uri.Name, stages, ct).ConfigureAwait(false);
                return latest.MaxBy(v => v.Version)
                    ?? throw MlflowException.NotFound(
                        uri.Kind == ModelUriKind.Latest
                            ? $"No versions of model with name '{uri.Name}' found"
                            : $"No versions of model with name '{uri.Name}' and stage '{uri.Reference}' found");
            case ModelUriKind.LoggedModel:
                return await store.FindModelVersionByModelIdAsync(uri.Reference, ct).ConfigureAwait(false)
                    ?? throw MlflowException.NotFound($"No registered model version was created from logged model '{uri.Reference}'.");
            default:
                throw new InvalidOperationException($"Unknown model URI kind {uri.Kind}");
        }
    }

    /// <summary>The stored location, else a <c>runs:/</c> source resolved through its run, else the source.</summary>
    private async Task<string> DownloadUriAsync(ModelVersion version, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(version.StorageLocation))
        {
            return version.StorageLocation;
        }

        if (ModelSource.Scheme(version.Source) == "runs")
        {
            var parts = ModelSource.PathOf(version.Source).TrimStart('/').Split('/', 2);
            var run = await tracking.GetRunAsync(parts[0], ct).ConfigureAwait(false)
                ?? throw MlflowException.NotFound($"Run with id={parts[0]} not found");
            return parts.Length > 1 && parts[1].Length > 0 ? run.Info.ArtifactUri.TrimEnd('/') + "/" + parts[1].Trim('/') : run.Info.ArtifactUri;
        }

        return version.Source;
    }

    private async Task ValidateLocalSourceAsync(string source, string? runId, string? modelId, CancellationToken ct)
    {
        if (runId is not null)
        {
            var run = await tracking.GetRunAsync(runId, ct).ConfigureAwait(false);
            if (run is not null && ModelSource.IsLocal(run.Info.ArtifactUri) && ModelSource.IsInside(source, run.Info.ArtifactUri))
            {
                return;
            }
        }

        if (modelId is not null)
        {
            var logged = await tracking.GetLoggedModelAsync(modelId, ct).ConfigureAwait(false);
            if (logged is not null && ModelSource.IsLocal(logged.Info.ArtifactUri) && ModelSource.IsInside(source, logged.Info.ArtifactUri))
            {
                return;
            }
        }

        throw ModelSource.InvalidLocalSource(source);
    }

    private static List<KeyValue> ValidateTags(IReadOnlyList<KeyValue>? tags, int maxValueLength)
    {
        var result = new List<KeyValue>();
        foreach (var tag in tags ?? [])
        {
            RegistryValidation.ValidateTagKey(tag.Key);
            RegistryValidation.ValidateTagValue(tag.Value, maxValueLength, tag.Key);
            result.Add(tag with { Value = tag.Value ?? string.Empty });
        }

        return result;
    }

    private static int PageSize(long? requested, int defaultSize, int max)
    {
        if (requested is null)
        {
            return defaultSize;
        }

        if (requested < 1 || requested > max)
        {
            throw MlflowException.InvalidParameter(
                $"Invalid value for request parameter max_results. It must be at least 1 and at most {max}, but got value {requested}");
        }

        return (int)requested.Value;
    }

    private RegistryWrite Write(string? user) => new(time.GetUtcNow().ToUnixTimeMilliseconds(), string.IsNullOrEmpty(user) ? null : user);

    public static MlflowException ModelNotFound(string name) => MlflowException.NotFound($"Registered Model with name={name} not found");

    public static MlflowException VersionNotFound(string name, long version) =>
        MlflowException.NotFound($"Model Version (name={name}, version={version}) not found");
}
