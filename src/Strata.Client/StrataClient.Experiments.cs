using Strata.Client.Http;
using Strata.Client.Wire;
using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Client;

public sealed partial class StrataClient
{
    public async Task<string> CreateExperimentAsync(
        string name, string? artifactLocation = null, IEnumerable<KeyValue>? tags = null, CancellationToken ct = default)
    {
        var response = await PostAsync<CreateExperimentResponse>(
            "experiments/create",
            new { Name = name, ArtifactLocation = artifactLocation, Tags = tags.ToWire() },
            idempotent: false,
            ct).ConfigureAwait(false);
        return response.ExperimentId ?? throw MissingField("experiment_id");
    }

    public async Task<Experiment> GetExperimentAsync(string experimentId, CancellationToken ct = default)
    {
        var response = await GetAsync<ExperimentResponse>(
            "experiments/get", new Query().Add("experiment_id", experimentId), ct).ConfigureAwait(false);
        return (response.Experiment ?? throw MissingField("experiment")).ToCore();
    }

    /// <summary>The experiment of that name, or null when there is none (RESOURCE_DOES_NOT_EXIST).</summary>
    public async Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken ct = default)
    {
        try
        {
            var response = await GetAsync<ExperimentResponse>(
                "experiments/get-by-name", new Query().Add("experiment_name", name), ct).ConfigureAwait(false);
            return response.Experiment?.ToCore();
        }
        catch (StrataApiException ex) when (ex.ErrorCode == ErrorCode.RESOURCE_DOES_NOT_EXIST)
        {
            return null;
        }
    }

    /// <summary>The id of the active experiment named <paramref name="name"/>, creating it if absent (race-safe).</summary>
    public async Task<string> GetOrCreateExperimentAsync(string name, CancellationToken ct = default)
    {
        var existing = await GetExperimentByNameAsync(name, ct).ConfigureAwait(false);
        if (existing is not null)
        {
            if (existing.LifecycleStage == LifecycleStage.Deleted)
            {
                throw new InvalidOperationException(
                    $"Experiment '{name}' (id {existing.ExperimentId}) is deleted; restore it or choose another name.");
            }
            return existing.ExperimentId;
        }
        try
        {
            return await CreateExperimentAsync(name, ct: ct).ConfigureAwait(false);
        }
        catch (StrataApiException ex) when (ex.ErrorCode is ErrorCode.RESOURCE_ALREADY_EXISTS or ErrorCode.ALREADY_EXISTS)
        {
            // Another process created it between our lookup and our create.
            var created = await GetExperimentByNameAsync(name, ct).ConfigureAwait(false);
            if (created is null)
            {
                throw;
            }
            return created.ExperimentId;
        }
    }

    public async Task<Page<Experiment>> SearchExperimentsPageAsync(
        ExperimentSearch? search = null, string? pageToken = null, CancellationToken ct = default)
    {
        search ??= new ExperimentSearch();
        var response = await PostAsync<SearchExperimentsResponse>(
            "experiments/search",
            new
            {
                search.MaxResults,
                PageToken = pageToken,
                search.Filter,
                search.OrderBy,
                search.ViewType,
            },
            idempotent: true, // a read sent as POST (the Python client does the same)
            ct).ConfigureAwait(false);
        return new Page<Experiment>(
            response.Experiments?.Select(e => e.ToCore()).ToList() ?? [], NullIfEmpty(response.NextPageToken));
    }

    public IAsyncEnumerable<Experiment> SearchExperimentsAsync(ExperimentSearch? search = null, CancellationToken ct = default) =>
        Paginate<Experiment>((token, c) => SearchExperimentsPageAsync(search, token, c), ct);

    public Task DeleteExperimentAsync(string experimentId, CancellationToken ct = default) =>
        PostAsync<EmptyResponse>("experiments/delete", new { ExperimentId = experimentId }, idempotent: false, ct);

    public Task RestoreExperimentAsync(string experimentId, CancellationToken ct = default) =>
        PostAsync<EmptyResponse>("experiments/restore", new { ExperimentId = experimentId }, idempotent: false, ct);

    public Task RenameExperimentAsync(string experimentId, string newName, CancellationToken ct = default) =>
        PostAsync<EmptyResponse>("experiments/update", new { ExperimentId = experimentId, NewName = newName }, idempotent: false, ct);

    public Task SetExperimentTagAsync(string experimentId, string key, string value, CancellationToken ct = default) =>
        PostAsync<EmptyResponse>(
            "experiments/set-experiment-tag", new { ExperimentId = experimentId, Key = key, Value = value }, idempotent: true, ct);

    public Task DeleteExperimentTagAsync(string experimentId, string key, CancellationToken ct = default) =>
        PostAsync<EmptyResponse>("experiments/delete-experiment-tag", new { ExperimentId = experimentId, Key = key }, idempotent: false, ct);

    internal static StrataApiException MissingField(string field) =>
        new(ErrorCode.INTERNAL_ERROR, System.Net.HttpStatusCode.OK, $"The server's response lacks the field '{field}'.");

    internal static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
