using Strata.Core.Tracking;

namespace Strata.Core.Deployments;

/// <summary>
/// Persistence of deployments: a <c>deployments</c> row per name pointing at the current row of the append-only
/// <c>deployment_revisions</c>. Every change inserts a revision and moves the pointer in one transaction; revisions are
/// never updated or deleted except with their deployment. Getters return null for an unknown name; writes on one throw
/// RESOURCE_DOES_NOT_EXIST. Validation of the spec (models, aliases, weights) happens before the store is called.
/// </summary>
public interface IDeploymentStore
{
    /// <summary>Inserts revision 1. Throws RESOURCE_ALREADY_EXISTS when the name is taken.</summary>
    Task<Deployment> CreateAsync(string name, DeploymentSpec spec, DeploymentWrite write, CancellationToken ct);

    /// <summary>The deployment with its current revision (route, shadow, sticky key, settings).</summary>
    Task<Deployment?> GetAsync(string name, CancellationToken ct);

    /// <summary>Deployments by name, <paramref name="maxResults"/> a page.</summary>
    /// <summary>Deployments by name; with <paramref name="readable"/>, only those it lets the caller read.</summary>
    Task<Page<Deployment>> ListAsync(int maxResults, string? pageToken, Auth.ReadScope? readable, CancellationToken ct);

    /// <summary>
    /// Inserts revision current+1 holding <paramref name="spec"/> and points the deployment at it, only if the current
    /// revision is still <paramref name="expectedRevision"/> (optimistic concurrency); otherwise RESOURCE_CONFLICT.
    /// <paramref name="rolledBackFrom"/> marks a rollback's copy.
    /// </summary>
    Task<Deployment> UpdateAsync(string name, long expectedRevision, DeploymentSpec spec, long? rolledBackFrom, DeploymentWrite write, CancellationToken ct);

    /// <summary>Deletes the deployment with its revisions.</summary>
    Task DeleteAsync(string name, DeploymentWrite write, CancellationToken ct);

    /// <summary>One revision, or null.</summary>
    Task<DeploymentRevision?> GetRevisionAsync(string name, long revision, CancellationToken ct);

    /// <summary>Revisions newest first.</summary>
    Task<Page<DeploymentRevision>> ListRevisionsAsync(string name, int maxResults, string? pageToken, CancellationToken ct);

    /// <summary>Every deployment's name and current revision: one cheap indexed read, polled by serving processes.</summary>
    Task<IReadOnlyList<DeploymentPointer>> ListPointersAsync(CancellationToken ct);
}
