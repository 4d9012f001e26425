using Strata.Core.Search;
using Strata.Core.Tracking;

namespace Strata.Core.Registry;

/// <summary>Who changes the registry and when; stamped on the rows and on the event written with them.</summary>
public sealed record RegistryWrite(long Now, string? UserId);

public sealed record NewRegisteredModel(string Name, string? Description, IReadOnlyList<KeyValue> Tags, string? DeploymentJobId);

/// <summary>A version to create; <see cref="StorageLocation"/> and <see cref="RunId"/> are already resolved by the service.</summary>
public sealed record NewModelVersion(
    string Name,
    string Source,
    string? RunId,
    string? RunLink,
    string? Description,
    IReadOnlyList<KeyValue> Tags,
    string? ModelId,
    string? StorageLocation);

public sealed record RegisteredModelQuery(
    IReadOnlyList<Comparison> Filter,
    IReadOnlyList<OrderTerm> OrderBy,
    int MaxResults,
    string? PageToken,
    Auth.ReadScope? Readable = null);

public sealed record ModelVersionQuery(
    IReadOnlyList<Comparison> Filter,
    IReadOnlyList<OrderTerm> OrderBy,
    int MaxResults,
    string? PageToken,
    Auth.ReadScope? Readable = null);
