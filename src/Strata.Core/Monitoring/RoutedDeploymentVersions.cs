using System.Globalization;
using Strata.Core.Deployments;
using Strata.Core.Registry;

namespace Strata.Core.Monitoring;

/// <summary>
/// The versions a deployment serves, read from its current revision: every routed version and the shadow, aliases
/// resolved through the registry now. A name that is no deployment falls back to <see cref="ModelNamedDeployments"/>
/// (a registered model's name), so drift can be watched for models served without a declared deployment.
/// </summary>
public sealed class RoutedDeploymentVersions(IDeploymentStore deployments, IRegistryStore registry, ModelNamedDeployments fallback) : IDeploymentVersions
{
    public async Task<IReadOnlyList<DeploymentTarget>> ResolveAsync(string deployment, string? model, string? version, CancellationToken ct)
    {
        var declared = await deployments.GetAsync(deployment, ct).ConfigureAwait(false);
        if (declared is null)
        {
            return await fallback.ResolveAsync(deployment, model, version, ct).ConfigureAwait(false);
        }

        var targets = await TargetsAsync(declared, ct).ConfigureAwait(false);
        if (string.IsNullOrEmpty(version))
        {
            return targets;
        }

        var wanted = long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? targets.Where(t => t.Version == number)
            : targets.Where(t => declared.Current.Spec.Route.Any(r => r.Model.Alias == version && r.Model.ModelName == t.ModelName)
                || declared.Current.Spec.Shadow is { } s && s.Alias == version && s.ModelName == t.ModelName);
        var found = wanted.ToList();
        return found.Count > 0
            ? found
            : throw Errors.MlflowException.NotFound($"Deployment '{deployment}' does not serve version '{version}'.");
    }

    public async Task<IReadOnlyList<DeploymentTarget>> ListMonitoredAsync(CancellationToken ct)
    {
        var all = new List<DeploymentTarget>();
        foreach (var pointer in await deployments.ListPointersAsync(ct).ConfigureAwait(false))
        {
            if (await deployments.GetAsync(pointer.Name, ct).ConfigureAwait(false) is { } declared)
            {
                all.AddRange(await TargetsAsync(declared, ct).ConfigureAwait(false));
            }
        }

        all.AddRange(await fallback.ListMonitoredAsync(ct).ConfigureAwait(false));
        return all.Distinct().ToList();
    }

    private async Task<List<DeploymentTarget>> TargetsAsync(Deployment declared, CancellationToken ct)
    {
        var spec = declared.Current.Spec;
        var models = spec.Route.Select(r => r.Model).Concat(spec.Shadow is { } shadow ? [shadow] : []);
        var targets = new List<DeploymentTarget>();
        foreach (var m in models)
        {
            var resolved = m.Version ?? (await registry.GetModelVersionByAliasAsync(m.ModelName, m.Alias!, ct).ConfigureAwait(false))?.Version;
            if (resolved is { } v)
            {
                targets.Add(new DeploymentTarget(declared.Name, m.ModelName, v));
            }
        }

        return targets.Distinct().ToList();
    }
}
