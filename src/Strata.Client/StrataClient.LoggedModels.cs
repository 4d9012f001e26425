using Strata.Client.Artifacts;
using Strata.Client.Http;
using Strata.Client.Wire;
using Strata.Core.Tracking;

namespace Strata.Client;

public sealed partial class StrataClient
{
    public async Task<LoggedModel> CreateLoggedModelAsync(
        string experimentId,
        string? name = null,
        string? modelType = null,
        string? sourceRunId = null,
        IEnumerable<KeyValue>? parameters = null,
        IEnumerable<KeyValue>? tags = null,
        CancellationToken ct = default)
    {
        var response = await PostAsync<LoggedModelResponse>(
            "logged-models",
            new
            {
                ExperimentId = experimentId,
                Name = name,
                ModelType = modelType,
                SourceRunId = sourceRunId,
                Params = parameters.ToWire(),
                Tags = tags.ToWire(),
            },
            idempotent: false,
            ct).ConfigureAwait(false);
        return (response.Model ?? throw MissingField("model")).ToCore();
    }

    public async Task<LoggedModel> GetLoggedModelAsync(string modelId, CancellationToken ct = default)
    {
        var response = await GetAsync<LoggedModelResponse>(ModelPath(modelId), new Query(), ct).ConfigureAwait(false);
        return (response.Model ?? throw MissingField("model")).ToCore();
    }

    /// <summary>Sets the final status (READY or UPLOAD_FAILED) after the artifacts are uploaded. Safe to repeat.</summary>
    public async Task<LoggedModel> FinalizeLoggedModelAsync(string modelId, LoggedModelStatus status, CancellationToken ct = default)
    {
        var response = await SendAsync<LoggedModelResponse>(
            HttpMethod.Patch, ModelPath(modelId), null, new { ModelId = modelId, Status = status }, idempotent: true, ct).ConfigureAwait(false);
        return (response.Model ?? throw MissingField("model")).ToCore();
    }

    public Task DeleteLoggedModelAsync(string modelId, CancellationToken ct = default) =>
        SendAsync<EmptyResponse>(HttpMethod.Delete, ModelPath(modelId), null, null, idempotent: false, ct);

    public async Task<Page<LoggedModel>> SearchLoggedModelsPageAsync(
        LoggedModelSearch search, string? pageToken = null, CancellationToken ct = default)
    {
        var response = await PostAsync<SearchLoggedModelsResponse>(
            "logged-models/search",
            new
            {
                search.ExperimentIds,
                search.Filter,
                Datasets = search.Datasets?.Select(d => new { d.DatasetName, d.DatasetDigest }).ToList(),
                search.MaxResults,
                OrderBy = search.OrderBy?.Select(o => new { o.FieldName, o.Ascending, o.DatasetName, o.DatasetDigest }).ToList(),
                PageToken = pageToken,
            },
            idempotent: true,
            ct).ConfigureAwait(false);
        return new Page<LoggedModel>(response.Models?.Select(m => m.ToCore()).ToList() ?? [], NullIfEmpty(response.NextPageToken));
    }

    public IAsyncEnumerable<LoggedModel> SearchLoggedModelsAsync(LoggedModelSearch search, CancellationToken ct = default) =>
        Paginate<LoggedModel>((token, c) => SearchLoggedModelsPageAsync(search, token, c), ct);

    public Task SetLoggedModelTagsAsync(string modelId, IEnumerable<KeyValue> tags, CancellationToken ct = default) =>
        SendAsync<EmptyResponse>(
            HttpMethod.Patch, ModelPath(modelId) + "/tags", null, new { Tags = tags.ToWire() }, idempotent: true, ct);

    public Task DeleteLoggedModelTagAsync(string modelId, string key, CancellationToken ct = default) =>
        SendAsync<EmptyResponse>(
            HttpMethod.Delete, ModelPath(modelId) + "/tags/" + Uri.EscapeDataString(key), null, null, idempotent: false, ct);

    public Task LogLoggedModelParamsAsync(string modelId, IEnumerable<KeyValue> parameters, CancellationToken ct = default) =>
        PostAsync<EmptyResponse>(
            ModelPath(modelId) + "/params", new { ModelId = modelId, Params = parameters.ToWire() }, idempotent: true, ct);

    /// <summary>One directory of a logged model's artifacts; paths are relative to the model's artifact root.</summary>
    public async Task<ArtifactListing> ListLoggedModelArtifactsAsync(string modelId, string? path = null, CancellationToken ct = default)
    {
        var files = new List<ArtifactFileInfo>();
        string? root = null;
        string? token = null;
        do
        {
            var response = await GetAsync<ListArtifactsResponse>(
                ModelPath(modelId) + "/artifacts/directories",
                new Query().Add("artifact_directory_path", path).Add("page_token", token),
                ct).ConfigureAwait(false);
            root ??= response.RootUri;
            files.AddRange(response.Files?.Select(f => f.ToCore()) ?? []);
            token = NullIfEmpty(response.NextPageToken);
        }
        while (token is not null);
        return new ArtifactListing(root ?? "", files);
    }

    private static string ModelPath(string modelId) => "logged-models/" + Uri.EscapeDataString(modelId);
}
