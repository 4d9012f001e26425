using Strata.Core.Deployments;

namespace Strata.Server.Ui;

/// <summary>One place a model version is served: a deployment's route leg (with its weight) or its shadow.</summary>
public sealed record DeploymentUse(string Deployment, long Revision, bool Shadow, double? Weight, string Via);

/// <summary>Finds the deployments whose current revision routes to (or shadows) a model version, by number or by one of its aliases.</summary>
public static class DeploymentUsage
{
    /// <summary>Deployments read at most; a registry with more is far beyond what one page lists.</summary>
    public const int MaxDeployments = 5000;

    public static async Task<IReadOnlyList<DeploymentUse>> FindAsync(
        DeploymentService deployments, string modelName, long version, IReadOnlyList<string> aliases, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(deployments);
        var uses = new List<DeploymentUse>();
        string? token = null;
        var read = 0;
        do
        {
            var page = await deployments.ListAsync(DeploymentService.MaxPageSize, token, null, ct).ConfigureAwait(false);
            foreach (var d in page.Items)
            {
                var spec = d.Current.Spec;
                foreach (var leg in spec.Route)
                {
                    if (Via(leg.Model, modelName, version, aliases) is { } via)
                    {
                        uses.Add(new DeploymentUse(d.Name, d.CurrentRevision, false, leg.Weight, via));
                    }
                }

                if (spec.Shadow is { } shadow && Via(shadow, modelName, version, aliases) is { } shadowVia)
                {
                    uses.Add(new DeploymentUse(d.Name, d.CurrentRevision, true, null, shadowVia));
                }
            }

            read += page.Items.Count;
            token = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(token) && read < MaxDeployments);

        return uses;
    }

    /// <summary>"version 3" or "alias @champion" when the target is this version; null otherwise.</summary>
    public static string? Via(ModelTarget target, string modelName, long version, IReadOnlyList<string> aliases)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!string.Equals(target.ModelName, modelName, StringComparison.Ordinal))
        {
            return null;
        }

        if (target.Version == version)
        {
            return $"version {version}";
        }

        return target.Alias is { } alias && aliases.Contains(alias, StringComparer.Ordinal) ? $"alias @{alias}" : null;
    }
}
