using System.Globalization;
using System.Text.RegularExpressions;
using Strata.Core.Errors;

namespace Strata.Core.Deployments;

/// <summary>The rules a deployment spec obeys on its own (no store needed); each failure is a 400 naming the field.</summary>
public static partial class DeploymentValidation
{
    public const int MaxRouteTargets = 16;
    public const int MaxBatchSize = 4096;
    public const int MaxBatchDelayMs = 1000;

    /// <summary>Weights are percentages; their sum may be off by rounding only.</summary>
    public const double WeightTolerance = 1e-6;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex NamePattern();

    public static string RequireName(string? name, string field = "name")
    {
        if (string.IsNullOrEmpty(name))
        {
            throw MlflowException.MissingParameter(field);
        }

        return NamePattern().IsMatch(name)
            ? name
            : throw MlflowException.InvalidParameter(
                $"Parameter '{field}' must be 1-128 letters, digits, '.', '_' or '-' starting with a letter or digit (it names a URL path), got '{name}'.");
    }

    public static void Validate(DeploymentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Route.Count == 0)
        {
            throw MlflowException.InvalidParameter("Parameter 'route' must hold at least one model version.");
        }

        if (spec.Route.Count > MaxRouteTargets)
        {
            throw MlflowException.InvalidParameter($"Parameter 'route' holds {spec.Route.Count} model versions; at most {MaxRouteTargets} are allowed.");
        }

        var seen = new HashSet<ModelTarget>();
        for (var i = 0; i < spec.Route.Count; i++)
        {
            var t = spec.Route[i];
            ValidateTarget(t.Model, $"route[{i}]");
            if (!double.IsFinite(t.Weight) || t.Weight <= 0 || t.Weight > 100)
            {
                throw MlflowException.InvalidParameter(
                    $"Parameter 'route[{i}].weight' must be a percentage above 0 and at most 100, got {t.Weight.ToString(CultureInfo.InvariantCulture)}.");
            }

            if (!seen.Add(t.Model))
            {
                throw MlflowException.InvalidParameter($"Parameter 'route[{i}]' names {t.Model} a second time; give each model version once.");
            }
        }

        var sum = spec.Route.Sum(t => t.Weight);
        if (Math.Abs(sum - 100) > WeightTolerance)
        {
            throw MlflowException.InvalidParameter(
                $"Parameter 'route' weights must add up to 100, got {sum.ToString("0.######", CultureInfo.InvariantCulture)}.");
        }

        if (spec.Shadow is not null)
        {
            ValidateTarget(spec.Shadow, "shadow");
        }

        if (spec.StickyKey is { } sticky && string.IsNullOrWhiteSpace(sticky.Name))
        {
            throw MlflowException.InvalidParameter($"Parameter 'sticky_key.{(sticky.Source == StickyKeySource.Header ? "header" : "column")}' must not be empty.");
        }

        if (spec.Settings is { } s)
        {
            if (s.MaxBatchSize is { } size && size is < 1 or > MaxBatchSize)
            {
                throw MlflowException.InvalidParameter($"Parameter 'settings.max_batch_size' must be between 1 and {MaxBatchSize}, got {size}.");
            }

            if (s.MaxBatchDelayMs is { } delay && delay is < 0 or > MaxBatchDelayMs)
            {
                throw MlflowException.InvalidParameter($"Parameter 'settings.max_batch_delay_ms' must be between 0 and {MaxBatchDelayMs}, got {delay}.");
            }

            if (s.LogSampleRate is { } rate && (!double.IsFinite(rate) || rate is < 0 or > 1))
            {
                throw MlflowException.InvalidParameter($"Parameter 'settings.log_sample_rate' must be between 0 and 1, got {rate.ToString(CultureInfo.InvariantCulture)}.");
            }

            if (s.TimeoutSeconds is { } timeout && (!double.IsFinite(timeout) || timeout <= 0 || timeout > 3600))
            {
                throw MlflowException.InvalidParameter($"Parameter 'settings.timeout_seconds' must be above 0 and at most 3600, got {timeout.ToString(CultureInfo.InvariantCulture)}.");
            }
        }
    }

    private static void ValidateTarget(ModelTarget target, string path)
    {
        if (string.IsNullOrEmpty(target.ModelName))
        {
            throw MlflowException.MissingParameter(path + ".model_name");
        }

        if (target.Alias is not null && (target.Alias.Length == 0 || target.Alias.Contains('/', StringComparison.Ordinal)))
        {
            throw MlflowException.InvalidParameter($"Parameter '{path}.alias' must be a non-empty alias without '/', got '{target.Alias}'.");
        }

        if (target.Alias is null && target.Version is not > 0)
        {
            throw MlflowException.InvalidParameter($"Parameter '{path}.version' must be a positive integer.");
        }
    }

    /// <summary>Parses <c>name@alias</c> or <c>name/3</c> (the CLI's form), optionally followed by <c>=weight</c>.</summary>
    public static RouteTarget ParseTarget(string text, string field)
    {
        ArgumentNullException.ThrowIfNull(text);
        var weight = 100d;
        var eq = text.LastIndexOf('=');
        var target = text;
        if (eq >= 0)
        {
            target = text[..eq];
            if (!double.TryParse(text[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out weight))
            {
                throw MlflowException.InvalidParameter($"{field} '{text}': the weight after '=' must be a number.");
            }
        }

        var at = target.LastIndexOf('@');
        if (at > 0)
        {
            return new RouteTarget(new ModelTarget(target[..at], null, target[(at + 1)..]), weight);
        }

        var slash = target.LastIndexOf('/');
        if (slash > 0 && long.TryParse(target[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0)
        {
            return new RouteTarget(new ModelTarget(target[..slash], version, null), weight);
        }

        throw MlflowException.InvalidParameter($"{field} '{text}' must be MODEL@ALIAS or MODEL/VERSION, optionally with =WEIGHT.");
    }
}
