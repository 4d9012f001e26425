using Strata.Core.Tracking;

namespace Strata.Client.Registry;

// The registry's entities as the client hands them out. Core has no registry contracts yet; when
// Strata.Core.Registry lands these records are replaced by a `global using` of the Core ones (the wire
// mapping in Wire/WireRegistry.cs is the only code that constructs them).

public sealed record RegisteredModelAlias(string Alias, string Version);

public enum ModelVersionStatus
{
    PENDING_REGISTRATION = 1,
    FAILED_REGISTRATION = 2,
    READY = 3,
}

public sealed record ModelVersion(
    string Name,
    string Version,
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
    string? ModelId);

public sealed record RegisteredModel(
    string Name,
    long CreationTimestamp,
    long LastUpdatedTimestamp,
    string? UserId,
    string? Description,
    IReadOnlyList<ModelVersion> LatestVersions,
    IReadOnlyList<KeyValue> Tags,
    IReadOnlyList<RegisteredModelAlias> Aliases);
