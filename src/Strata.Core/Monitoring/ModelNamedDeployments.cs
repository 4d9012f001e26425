using Strata.Core.Errors;
using Strata.Core.Registry;

namespace Strata.Core.Monitoring;

/// <summary>
/// The stand-in for deployments until they exist: a deployment name is a registered model's name (or the
/// <c>model</c> given beside it), a version is a number or an alias, and without one the deployment "serves" every
/// version of the model that has a reference profile. The scheduled job watches every profiled version under its
/// model's name.
/// </summary>
public sealed class ModelNamedDeployments(IRegistryStore registry, IMonitoringStore store) : IDeploymentVersions
{
    public async Task<IReadOnlyList<DeploymentTarget>> ResolveAsync(string deployment, string? model, string? version, CancellationToken ct)
    {
        var modelName = string.IsNullOrEmpty(model) ? deployment : model;
        if (await registry.GetRegisteredModelAsync(modelName, ct).ConfigureAwait(false) is null)
        {
            throw MlflowException.NotFound(
                $"Deployment '{deployment}' not found: no registered model '{modelName}' (give the model with the 'model' parameter).");
        }

        if (!string.IsNullOrEmpty(version))
        {
            var found = long.TryParse(version, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
                ? await registry.GetModelVersionAsync(modelName, number, ct).ConfigureAwait(false)
                : await registry.GetModelVersionByAliasAsync(modelName, version, ct).ConfigureAwait(false);
            return found is null
                ? throw MlflowException.NotFound($"Model version '{modelName}' version '{version}' not found.")
                : [new DeploymentTarget(deployment, modelName, found.Version)];
        }

        var profiled = await store.ListProfiledVersionsAsync(ct).ConfigureAwait(false);
        return profiled.Where(p => p.ModelName == modelName).Select(p => new DeploymentTarget(deployment, modelName, p.Version)).ToList();
    }

    public async Task<IReadOnlyList<DeploymentTarget>> ListMonitoredAsync(CancellationToken ct)
    {
        var profiled = await store.ListProfiledVersionsAsync(ct).ConfigureAwait(false);
        return profiled.Select(p => new DeploymentTarget(p.ModelName, p.ModelName, p.Version)).ToList();
    }
}
