using Strata.Client.Http;
using System.Globalization;
using Strata.Core.Registry;
using Strata.Client.Wire;
using Strata.Core.Tracking;

namespace Strata.Client;

public sealed partial class StrataClient
{
    public async Task<RegisteredModel> CreateRegisteredModelAsync(
        string name, string? description = null, IEnumerable<KeyValue>? tags = null, CancellationToken ct = default)
    {
        var response = await PostAsync<RegisteredModelResponse>(
            "registered-models/create", new { Name = name, Description = description, Tags = tags.ToWire() }, idempotent: false, ct)
            .ConfigureAwait(false);
        return (response.RegisteredModel ?? throw MissingField("registered_model")).ToCore();
    }

    public async Task<RegisteredModel> GetRegisteredModelAsync(string name, CancellationToken ct = default)
    {
        var response = await GetAsync<RegisteredModelResponse>("registered-models/get", new Query().Add("name", name), ct)
            .ConfigureAwait(false);
        return (response.RegisteredModel ?? throw MissingField("registered_model")).ToCore();
    }

    public async Task<RegisteredModel> RenameRegisteredModelAsync(string name, string newName, CancellationToken ct = default)
    {
        var response = await PostAsync<RegisteredModelResponse>(
            "registered-models/rename", new { Name = name, NewName = newName }, idempotent: false, ct).ConfigureAwait(false);
        return (response.RegisteredModel ?? throw MissingField("registered_model")).ToCore();
    }

    public async Task<RegisteredModel> UpdateRegisteredModelAsync(string name, string? description, CancellationToken ct = default)
    {
        var response = await SendAsync<RegisteredModelResponse>(
            HttpMethod.Patch, "registered-models/update", null, new { Name = name, Description = description }, idempotent: true, ct)
            .ConfigureAwait(false);
        return (response.RegisteredModel ?? throw MissingField("registered_model")).ToCore();
    }

    public Task DeleteRegisteredModelAsync(string name, CancellationToken ct = default) =>
        SendAsync<EmptyResponse>(HttpMethod.Delete, "registered-models/delete", null, new { Name = name }, idempotent: false, ct);

    public async Task<Page<RegisteredModel>> SearchRegisteredModelsPageAsync(
        RegisteredModelSearch? search = null, string? pageToken = null, CancellationToken ct = default)
    {
        search ??= new RegisteredModelSearch();
        var response = await GetAsync<SearchRegisteredModelsResponse>(
            "registered-models/search",
            new Query().Add("filter", search.Filter).Add("max_results", search.MaxResults)
                .AddMany("order_by", search.OrderBy).Add("page_token", pageToken),
            ct).ConfigureAwait(false);
        return new Page<RegisteredModel>(
            response.RegisteredModels?.Select(m => m.ToCore()).ToList() ?? [], NullIfEmpty(response.NextPageToken));
    }

    public IAsyncEnumerable<RegisteredModel> SearchRegisteredModelsAsync(RegisteredModelSearch? search = null, CancellationToken ct = default) =>
        Paginate<RegisteredModel>((token, c) => SearchRegisteredModelsPageAsync(search, token, c), ct);

    public async Task<IReadOnlyList<ModelVersion>> GetLatestVersionsAsync(
        string name, IEnumerable<string>? stages = null, CancellationToken ct = default)
    {
        var stageList = stages?.ToList();
        ModelVersionsResponse response;
        try
        {
            response = await PostAsync<ModelVersionsResponse>(
                "registered-models/get-latest-versions", new { Name = name, Stages = stageList }, idempotent: true, ct)
                .ConfigureAwait(false);
        }
        catch (StrataApiException ex) when (ex.ErrorCode == Core.Errors.ErrorCode.ENDPOINT_NOT_FOUND)
        {
            // Servers that only route the GET form (as MLflow's own client falls back to).
            response = await GetAsync<ModelVersionsResponse>(
                "registered-models/get-latest-versions", new Query().Add("name", name).AddMany("stages", stageList), ct)
                .ConfigureAwait(false);
        }
        return response.ModelVersions?.Select(v => v.ToCore()).ToList() ?? [];
    }

    public Task SetRegisteredModelTagAsync(string name, string key, string value, CancellationToken ct = default) =>
        PostAsync<EmptyResponse>("registered-models/set-tag", new { Name = name, Key = key, Value = value }, idempotent: true, ct);

    /// <summary>Safe to repeat: deleting a missing registry tag succeeds.</summary>
    public Task DeleteRegisteredModelTagAsync(string name, string key, CancellationToken ct = default) =>
        SendAsync<EmptyResponse>(HttpMethod.Delete, "registered-models/delete-tag", null, new { Name = name, Key = key }, idempotent: true, ct);

    /// <summary>Points <paramref name="alias"/> at <paramref name="version"/> (overwrites). Safe to repeat.</summary>
    public Task SetRegisteredModelAliasAsync(string name, string alias, long version, CancellationToken ct = default) =>
        PostAsync<EmptyResponse>("registered-models/alias", new { Name = name, Alias = alias, Version = V(version) }, idempotent: true, ct);

    /// <summary>Safe to repeat: deleting a missing alias succeeds.</summary>
    public Task DeleteRegisteredModelAliasAsync(string name, string alias, CancellationToken ct = default) =>
        SendAsync<EmptyResponse>(HttpMethod.Delete, "registered-models/alias", null, new { Name = name, Alias = alias }, idempotent: true, ct);

    public async Task<ModelVersion> GetModelVersionByAliasAsync(string name, string alias, CancellationToken ct = default)
    {
        var response = await GetAsync<ModelVersionResponse>(
            "registered-models/alias", new Query().Add("name", name).Add("alias", alias), ct).ConfigureAwait(false);
        return (response.ModelVersion ?? throw MissingField("model_version")).ToCore();
    }

    public async Task<ModelVersion> CreateModelVersionAsync(
        string name,
        string source,
        string? runId = null,
        IEnumerable<KeyValue>? tags = null,
        string? runLink = null,
        string? description = null,
        string? modelId = null,
        CancellationToken ct = default)
    {
        var response = await PostAsync<ModelVersionResponse>(
            "model-versions/create",
            new
            {
                Name = name,
                Source = source,
                RunId = runId,
                Tags = tags.ToWire(),
                RunLink = runLink,
                Description = description,
                ModelId = modelId,
            },
            idempotent: false,
            ct).ConfigureAwait(false);
        return (response.ModelVersion ?? throw MissingField("model_version")).ToCore();
    }

    public async Task<ModelVersion> GetModelVersionAsync(string name, long version, CancellationToken ct = default)
    {
        var response = await GetAsync<ModelVersionResponse>(
            "model-versions/get", new Query().Add("name", name).Add("version", V(version)), ct).ConfigureAwait(false);
        return (response.ModelVersion ?? throw MissingField("model_version")).ToCore();
    }

    public async Task<ModelVersion> UpdateModelVersionAsync(string name, long version, string? description, CancellationToken ct = default)
    {
        var response = await SendAsync<ModelVersionResponse>(
            HttpMethod.Patch, "model-versions/update", null,
            new { Name = name, Version = V(version), Description = description }, idempotent: true, ct).ConfigureAwait(false);
        return (response.ModelVersion ?? throw MissingField("model_version")).ToCore();
    }

    public Task DeleteModelVersionAsync(string name, long version, CancellationToken ct = default) =>
        SendAsync<EmptyResponse>(
            HttpMethod.Delete, "model-versions/delete", null, new { Name = name, Version = V(version) }, idempotent: false, ct);

    /// <summary>Not retried when archiving: a repeat could archive a version promoted in between.</summary>
    public async Task<ModelVersion> TransitionModelVersionStageAsync(
        string name, long version, string stage, bool archiveExistingVersions = false, CancellationToken ct = default)
    {
        var response = await PostAsync<ModelVersionResponse>(
            "model-versions/transition-stage",
            new { Name = name, Version = V(version), Stage = stage, ArchiveExistingVersions = archiveExistingVersions },
            idempotent: !archiveExistingVersions,
            ct).ConfigureAwait(false);
        return (response.ModelVersion ?? throw MissingField("model_version")).ToCore();
    }

    public async Task<Page<ModelVersion>> SearchModelVersionsPageAsync(
        ModelVersionSearch? search = null, string? pageToken = null, CancellationToken ct = default)
    {
        search ??= new ModelVersionSearch();
        var response = await GetAsync<ModelVersionsResponse>(
            "model-versions/search",
            new Query().Add("filter", search.Filter).Add("max_results", search.MaxResults)
                .AddMany("order_by", search.OrderBy).Add("page_token", pageToken),
            ct).ConfigureAwait(false);
        return new Page<ModelVersion>(response.ModelVersions?.Select(v => v.ToCore()).ToList() ?? [], NullIfEmpty(response.NextPageToken));
    }

    public IAsyncEnumerable<ModelVersion> SearchModelVersionsAsync(ModelVersionSearch? search = null, CancellationToken ct = default) =>
        Paginate<ModelVersion>((token, c) => SearchModelVersionsPageAsync(search, token, c), ct);

    public async Task<string> GetModelVersionDownloadUriAsync(string name, long version, CancellationToken ct = default)
    {
        var response = await GetAsync<DownloadUriResponse>(
            "model-versions/get-download-uri", new Query().Add("name", name).Add("version", V(version)), ct).ConfigureAwait(false);
        return response.ArtifactUri ?? throw MissingField("artifact_uri");
    }

    public Task SetModelVersionTagAsync(string name, long version, string key, string value, CancellationToken ct = default) =>
        PostAsync<EmptyResponse>(
            "model-versions/set-tag", new { Name = name, Version = V(version), Key = key, Value = value }, idempotent: true, ct);

    public Task DeleteModelVersionTagAsync(string name, long version, string key, CancellationToken ct = default) =>
        SendAsync<EmptyResponse>(
            HttpMethod.Delete, "model-versions/delete-tag", null, new { Name = name, Version = V(version), Key = key }, idempotent: true, ct);

    private static string V(long version) => version.ToString(CultureInfo.InvariantCulture);
}
