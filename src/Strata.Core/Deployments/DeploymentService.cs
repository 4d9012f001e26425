using Strata.Core.Errors;
using Strata.Core.Registry;
using Strata.Core.Tracking;

namespace Strata.Core.Deployments;

/// <summary>
/// The deployments' rules: validates a spec on its own and against the registry (every model, version and alias it
/// names must exist when it is written), keeps every change as a revision, and rolls back by copying an old revision
/// into a new one, so history only grows.
/// </summary>
public sealed class DeploymentService(IDeploymentStore store, IRegistryStore registry, TimeProvider time)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    public IDeploymentStore Store => store;

    public async Task<Deployment> CreateAsync(string? name, DeploymentSpec? spec, string? user, CancellationToken ct)
    {
        DeploymentValidation.RequireName(name);
        var valid = await ValidateAsync(spec, ct).ConfigureAwait(false);
        return await store.CreateAsync(name!, valid, Write(user), ct).ConfigureAwait(false);
    }

    public async Task<Deployment> GetAsync(string? name, CancellationToken ct)
    {
        DeploymentValidation.RequireName(name);
        return await store.GetAsync(name!, ct).ConfigureAwait(false) ?? throw NotFound(name!);
    }

    public Task<Page<Deployment>> ListAsync(long? maxResults, string? pageToken, Auth.ReadScope? readable, CancellationToken ct) =>
        store.ListAsync(PageSize(maxResults), pageToken, readable, ct);

    /// <summary>
    /// A new revision holding <paramref name="spec"/>, only while the deployment is still at <paramref name="expectedRevision"/>
    /// (the revision the caller read): a concurrent change makes this a RESOURCE_CONFLICT (409) instead of a lost update.
    /// </summary>
    public async Task<Deployment> UpdateAsync(string? name, long? expectedRevision, DeploymentSpec? spec, string? user, CancellationToken ct)
    {
        DeploymentValidation.RequireName(name);
        var expected = RequireRevision(expectedRevision, "revision");
        var valid = await ValidateAsync(spec, ct).ConfigureAwait(false);
        return await store.UpdateAsync(name!, expected, valid, null, Write(user), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A new revision copying revision <paramref name="toRevision"/>'s spec. The models it names are checked again: a
    /// version deleted since cannot be served. <paramref name="expectedRevision"/> is optional here (null: whatever is current).
    /// </summary>
    public async Task<Deployment> RollbackAsync(string? name, long? toRevision, long? expectedRevision, string? user, CancellationToken ct)
    {
        DeploymentValidation.RequireName(name);
        var to = RequireRevision(toRevision, "to_revision");
        var old = await store.GetRevisionAsync(name!, to, ct).ConfigureAwait(false);
        if (old is null)
        {
            _ = await GetAsync(name, ct).ConfigureAwait(false);
            throw MlflowException.NotFound($"Deployment '{name}' has no revision {to}.");
        }

        await CheckRegistryAsync(old.Spec, ct).ConfigureAwait(false);
        var expected = expectedRevision ?? (await GetAsync(name, ct).ConfigureAwait(false)).CurrentRevision;
        return await store.UpdateAsync(name!, expected, old.Spec, to, Write(user), ct).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string? name, string? user, CancellationToken ct)
    {
        DeploymentValidation.RequireName(name);
        await store.DeleteAsync(name!, Write(user), ct).ConfigureAwait(false);
    }

    public async Task<Page<DeploymentRevision>> ListRevisionsAsync(string? name, long? maxResults, string? pageToken, CancellationToken ct)
    {
        DeploymentValidation.RequireName(name);
        _ = await GetAsync(name, ct).ConfigureAwait(false);
        return await store.ListRevisionsAsync(name!, PageSize(maxResults), pageToken, ct).ConfigureAwait(false);
    }

    public async Task<DeploymentRevision> GetRevisionAsync(string? name, long? revision, CancellationToken ct)
    {
        DeploymentValidation.RequireName(name);
        var number = RequireRevision(revision, "revision");
        return await store.GetRevisionAsync(name!, number, ct).ConfigureAwait(false)
            ?? throw MlflowException.NotFound($"Deployment '{name}' has no revision {number}.");
    }

    private async Task<DeploymentSpec> ValidateAsync(DeploymentSpec? spec, CancellationToken ct)
    {
        if (spec is null)
        {
            throw MlflowException.MissingParameter("route");
        }

        DeploymentValidation.Validate(spec);
        await CheckRegistryAsync(spec, ct).ConfigureAwait(false);
        return spec;
    }

    private async Task CheckRegistryAsync(DeploymentSpec spec, CancellationToken ct)
    {
        for (var i = 0; i < spec.Route.Count; i++)
        {
            await CheckTargetAsync(spec.Route[i].Model, $"route[{i}]", ct).ConfigureAwait(false);
        }

        if (spec.Shadow is not null)
        {
            await CheckTargetAsync(spec.Shadow, "shadow", ct).ConfigureAwait(false);
        }
    }

    private async Task CheckTargetAsync(ModelTarget target, string path, CancellationToken ct)
    {
        if (await registry.GetRegisteredModelAsync(target.ModelName, ct).ConfigureAwait(false) is null)
        {
            throw MlflowException.InvalidParameter($"Parameter '{path}.model_name': registered model '{target.ModelName}' does not exist.");
        }

        if (target.Alias is not null)
        {
            if (await registry.GetModelVersionByAliasAsync(target.ModelName, target.Alias, ct).ConfigureAwait(false) is null)
            {
                throw MlflowException.InvalidParameter($"Parameter '{path}.alias': registered model '{target.ModelName}' has no alias '{target.Alias}'.");
            }
        }
        else if (await registry.GetModelVersionAsync(target.ModelName, target.Version!.Value, ct).ConfigureAwait(false) is null)
        {
            throw MlflowException.InvalidParameter($"Parameter '{path}.version': registered model '{target.ModelName}' has no version {target.Version}.");
        }
    }

    private static long RequireRevision(long? revision, string field) => revision switch
    {
        null => throw MlflowException.MissingParameter(field),
        < 1 => throw MlflowException.InvalidParameter($"Parameter '{field}' must be a revision number (1 or more), got {revision}."),
        _ => revision.Value,
    };

    private static int PageSize(long? maxResults) => maxResults switch
    {
        null => DefaultPageSize,
        < 1 or > MaxPageSize => throw MlflowException.InvalidParameter($"Parameter 'max_results' must be between 1 and {MaxPageSize}, got {maxResults}."),
        _ => (int)maxResults.Value,
    };

    private DeploymentWrite Write(string? user) => new(user, time.GetUtcNow().ToUnixTimeMilliseconds());

    public static MlflowException NotFound(string name) => MlflowException.NotFound($"Deployment '{name}' does not exist.");
}
