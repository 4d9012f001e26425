using System.Globalization;
using Strata.Core.Errors;
using Strata.Core.Registry;

namespace Strata.Core.Policies;

/// <summary>The rules of a policy spec on its own; what it names (model, deployment) is checked by <see cref="PolicyService"/>.</summary>
public static class PolicyValidation
{
    public const int MaxNameLength = 256;
    public const double MaxImprovement = 100;

    public static void Validate(PolicySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (string.IsNullOrWhiteSpace(spec.Name) || spec.Name.Length > MaxNameLength)
        {
            throw MlflowException.InvalidParameter($"Parameter 'name' must be 1 to {MaxNameLength} characters, not blank.");
        }

        RegistryValidation.RequireName(spec.ModelName, "model_name");
        var gate = spec.Gate;
        if (string.IsNullOrWhiteSpace(gate.Metric))
        {
            throw MlflowException.InvalidParameter("Parameter 'gate.metric' must name a metric of the version's run.");
        }

        if (gate.MinImprovement is < 0 or > MaxImprovement)
        {
            throw MlflowException.InvalidParameter(
                $"Parameter 'gate.min_improvement' is a relative improvement (0.02 = 2 %) between 0 and {MaxImprovement}, got {Text(gate.MinImprovement)}.");
        }

        Alias(gate.ChampionAlias, "gate.champion_alias");
        var actions = spec.Actions;
        if (actions.SetAlias is not null)
        {
            Alias(actions.SetAlias, "actions.set_alias");
            if (actions.SetAlias == gate.ChampionAlias)
            {
                throw MlflowException.InvalidParameter(
                    $"Parameter 'actions.set_alias' ('{actions.SetAlias}') is the champion alias: use 'actions.promote' to move the champion.");
            }
        }

        if (actions.Canary is { } c)
        {
            if (string.IsNullOrWhiteSpace(c.Deployment))
            {
                throw MlflowException.InvalidParameter("Parameter 'actions.canary.deployment' must name a deployment.");
            }

            if (!double.IsFinite(c.Percent) || c.Percent <= 0 || c.Percent >= 100)
            {
                throw MlflowException.InvalidParameter($"Parameter 'actions.canary.percent' must be above 0 and below 100, got {Text(c.Percent)}.");
            }

            if (c.MinRequests < 1)
            {
                throw MlflowException.InvalidParameter($"Parameter 'actions.canary.min_requests' must be at least 1, got {c.MinRequests}.");
            }

            if (c.MaxErrorRateIncrease is < 0 or > 1)
            {
                throw MlflowException.InvalidParameter($"Parameter 'actions.canary.max_error_rate_increase' must be between 0 and 1, got {Text(c.MaxErrorRateIncrease)}.");
            }

            if (c.MaxLatencyIncrease is < 0 or > MaxImprovement)
            {
                throw MlflowException.InvalidParameter($"Parameter 'actions.canary.max_latency_increase' must be between 0 and {MaxImprovement}, got {Text(c.MaxLatencyIncrease)}.");
            }
        }
    }

    public static int PageSize(long? maxResults) => maxResults switch
    {
        null => 100,
        < 1 or > 1000 => throw MlflowException.InvalidParameter($"Parameter 'max_results' must be between 1 and 1000, got {maxResults}."),
        _ => (int)maxResults.Value,
    };

    private static void Alias(string alias, string field)
    {
        try
        {
            RegistryValidation.ValidateAlias(alias);
        }
        catch (MlflowException e)
        {
            throw MlflowException.InvalidParameter($"Parameter '{field}': {e.Message}");
        }
    }

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);
}
