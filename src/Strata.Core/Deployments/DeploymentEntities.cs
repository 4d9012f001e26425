namespace Strata.Core.Deployments;

/// <summary>
/// One registered model version a deployment routes to: by number (<see cref="Version"/>) or by alias
/// (<see cref="Alias"/>, resolved by each serving process when it polls), never both.
/// </summary>
public sealed record ModelTarget(string ModelName, long? Version, string? Alias)
{
    /// <summary>The <c>models:/</c> URI serving resolves: <c>models:/name/3</c> or <c>models:/name@alias</c>.</summary>
    public string ModelUri => Alias is not null ? $"models:/{ModelName}@{Alias}" : $"models:/{ModelName}/{Version}";

    /// <summary><c>name@alias</c> or <c>name/3</c>, the form the CLI takes.</summary>
    public override string ToString() => Alias is not null ? $"{ModelName}@{Alias}" : $"{ModelName}/{Version}";
}

/// <summary>One leg of a route: a model version and its share of the traffic (weights add up to 100).</summary>
public sealed record RouteTarget(ModelTarget Model, double Weight);

/// <summary>Where a sticky key is read from: a request header or an input column of the request's first row.</summary>
public enum StickyKeySource
{
    Header,
    Column,
}

/// <summary>Routes every request carrying the same key value to the same version (while the weights stay put).</summary>
public sealed record StickyKey(StickyKeySource Source, string Name);

/// <summary>How the deployment's versions are served; null fields take the serving process's defaults.</summary>
public sealed record DeploymentSettings
{
    public bool? EnableBatching { get; init; }

    public int? MaxBatchSize { get; init; }

    public int? MaxBatchDelayMs { get; init; }

    /// <summary>Fraction of requests (and shadow answers) written to the prediction log, 0 to 1.</summary>
    public double? LogSampleRate { get; init; }

    /// <summary>Seconds one request may take before it is answered 504.</summary>
    public double? TimeoutSeconds { get; init; }

    public static DeploymentSettings Default { get; } = new();
}

/// <summary>What a revision declares: the route, an optional shadow, an optional sticky key, serving settings.</summary>
public sealed record DeploymentSpec(
    IReadOnlyList<RouteTarget> Route,
    ModelTarget? Shadow = null,
    StickyKey? StickyKey = null,
    DeploymentSettings? Settings = null,
    string? Description = null);

/// <summary>One immutable revision of a deployment (revisions are numbered 1, 2, ... per deployment and never change).</summary>
public sealed record DeploymentRevision(
    string DeploymentName,
    long Revision,
    DeploymentSpec Spec,
    long CreationTimestamp,
    string? CreatedBy,
    /// <summary>For a rollback, the revision it copied.</summary>
    long? RolledBackFrom = null);

/// <summary>A deployment with the revision it points at now.</summary>
public sealed record Deployment(
    string Name,
    long CreationTimestamp,
    long LastUpdatedTimestamp,
    DeploymentRevision Current)
{
    public long CurrentRevision => Current.Revision;
}

/// <summary>Who writes and when (the server's clock).</summary>
public sealed record DeploymentWrite(string? UserId, long Now);

/// <summary>A deployment's name and current revision number: what serving processes poll.</summary>
public sealed record DeploymentPointer(string Name, long CurrentRevision);
