using Strata.Core.Tracking;

namespace Strata.Core.Registry;

/// <summary>Registration status of a model version. Strata registers synchronously, so new versions are READY.</summary>
public enum ModelVersionStatus
{
    PENDING_REGISTRATION = 1,
    FAILED_REGISTRATION = 2,
    READY = 3,
}

/// <summary>An alias as listed on a registered model: the alias and the version it points to.</summary>
public sealed record RegisteredModelAlias(string Alias, long Version);

public sealed record RegisteredModel(
    string Name,
    long CreationTimestamp,
    long LastUpdatedTimestamp,
    string? UserId,
    string? Description,
    IReadOnlyList<ModelVersion> LatestVersions,
    IReadOnlyList<KeyValue> Tags,
    IReadOnlyList<RegisteredModelAlias> Aliases,
    string? DeploymentJobId = null);

/// <summary>
/// A registered version. <see cref="StorageLocation"/> is where the files are when it differs
/// from <see cref="Source"/> (a resolved <c>runs:/</c> or <c>models:/m-...</c> source);
/// <see cref="ModelId"/> is the 3.x logged model the version was made from.
/// </summary>
public sealed record ModelVersion(
    string Name,
    long Version,
    long CreationTimestamp,
    long LastUpdatedTimestamp,
    string? UserId,
    string CurrentStage,
    string? Description,
    string Source,
    string? RunId,
    ModelVersionStatus Status,
    string? StatusMessage,
    IReadOnlyList<KeyValue> Tags,
    string? RunLink,
    IReadOnlyList<string> Aliases,
    string? ModelId,
    string? StorageLocation)
{
    /// <summary>What <c>get-download-uri</c> returns: the resolved location, else the source.</summary>
    public string DownloadUri => string.IsNullOrEmpty(StorageLocation) ? Source : StorageLocation;
}

/// <summary>
/// One row of the append-only registry event log, written in the same transaction as the change.
/// <see cref="Before"/> and <see cref="After"/> are JSON snapshots (null where there is none).
/// </summary>
public sealed record RegistryEvent(
    long Id,
    long Timestamp,
    string? UserId,
    string EventType,
    string ModelName,
    long? Version,
    string? Before,
    string? After);

/// <summary>Everything needed to explain where a version came from, read in one call.</summary>
public sealed record ModelVersionLineage(ModelVersion ModelVersion, Run? Run, Experiment? Experiment, LoggedModel? LoggedModel);
