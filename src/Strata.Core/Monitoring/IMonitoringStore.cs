using Strata.Core.Registry;
using Strata.Core.Tracking;

namespace Strata.Core.Monitoring;

/// <summary>Reference profiles, drift runs and alert thresholds in the backend database.</summary>
public interface IMonitoringStore
{
    /// <summary>Stores (or replaces) the profile of an existing model version; RESOURCE_DOES_NOT_EXIST when the version is unknown.</summary>
    Task PutProfileAsync(string modelName, long version, ReferenceProfile profile, long nowMs, CancellationToken ct);

    Task<StoredProfile?> GetProfileAsync(string modelName, long version, CancellationToken ct);

    /// <summary>Every (model, version) that has a profile and is not deleted.</summary>
    Task<IReadOnlyList<(string ModelName, long Version)>> ListProfiledVersionsAsync(CancellationToken ct);

    /// <summary>
    /// Stores a drift run and its features, and in the same transaction compares its drift share with the deployment's
    /// threshold: crossing it upwards (or back down) appends one event to the registry's event table. Returns the run
    /// with its id, or null when a scheduled run for the same deployment, version and window already exists (another
    /// replica computed it).
    /// </summary>
    Task<DriftRun?> AddDriftRunAsync(DriftRun run, string? userId, CancellationToken ct);

    /// <summary>Runs newest window first, with their features.</summary>
    Task<IReadOnlyList<DriftRun>> ListDriftRunsAsync(DriftRunQuery query, CancellationToken ct);

    Task<AlertThresholds> SetAlertThresholdsAsync(AlertThresholds thresholds, CancellationToken ct);

    Task<AlertThresholds?> GetAlertThresholdsAsync(string deployment, CancellationToken ct);

    /// <summary>Every deployment's thresholds that watch the error rate or latency p99.</summary>
    Task<IReadOnlyList<AlertThresholds>> ListServiceAlertThresholdsAsync(CancellationToken ct);

    /// <summary>The error-rate and latency states of a deployment's versions, as the last evaluation left them.</summary>
    Task<IReadOnlyList<AlertState>> ListAlertStatesAsync(string deployment, CancellationToken ct);

    /// <summary>
    /// Stores one evaluation of a deployment's service alerts: every observation updates its state, and one that
    /// crosses its threshold (upwards, or back down) flips the state with a conditional update (so replicas evaluating
    /// together record it once) and appends one registry event in the same transaction. Returns the crossings.
    /// </summary>
    Task<IReadOnlyList<AlertCrossing>> RecordServiceAlertsAsync(
        string deployment, AlertWindow window, IReadOnlyList<AlertObservation> observations, long nowMs, CancellationToken ct);

    /// <summary>The registry events monitoring wrote for a deployment (drift share, error rate, latency), newest first.</summary>
    Task<Page<RegistryEvent>> ListAlertEventsAsync(string deployment, int maxResults, string? pageToken, CancellationToken ct);

    /// <summary>The registry event id up to which new model versions were profiled.</summary>
    Task<long> GetCursorAsync(string name, CancellationToken ct);

    Task SetCursorAsync(string name, long position, CancellationToken ct);
}

/// <summary>Reads the logged predictions of one model version in a time window into feature tables.</summary>
public interface IPredictionWindowSource
{
    /// <summary>
    /// Adds the inputs and outputs of the successful requests logged for the version in [fromMs, toMs] to the tables;
    /// returns how many log entries were read.
    /// </summary>
    Task<long> ReadWindowAsync(string modelName, string version, long fromMs, long toMs, FeatureTable inputs, FeatureTable outputs, CancellationToken ct);
}

/// <summary>
/// Which model versions a deployment serves. Until deployments exist the default treats a deployment name as a
/// registered model name (see <see cref="ModelNamedDeployments"/>); the deployments capability implements it with
/// its routes.
/// </summary>
public interface IDeploymentVersions
{
    /// <summary>
    /// The versions of <paramref name="deployment"/>: all its routed ones, or only <paramref name="version"/> when given;
    /// <paramref name="model"/> names the model where the deployment does not (the default implementation).
    /// RESOURCE_DOES_NOT_EXIST for an unknown deployment.
    /// </summary>
    Task<IReadOnlyList<DeploymentTarget>> ResolveAsync(string deployment, string? model, string? version, CancellationToken ct);

    /// <summary>What the scheduled drift job compares: every deployment's routed versions.</summary>
    Task<IReadOnlyList<DeploymentTarget>> ListMonitoredAsync(CancellationToken ct);
}

/// <summary>The training data of a model version, read from the dataset logged as its run's input.</summary>
public interface IReferenceDataSource
{
    /// <summary>
    /// Reads the version's reference data into <paramref name="table"/> and returns a description of its source;
    /// RESOURCE_DOES_NOT_EXIST or INVALID_PARAMETER_VALUE (with the reason) when there is none the server can read.
    /// </summary>
    Task<string> ReadAsync(string modelName, long version, string? datasetName, FeatureTable table, CancellationToken ct);
}
