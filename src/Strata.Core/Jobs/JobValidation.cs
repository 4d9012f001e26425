using System.Text.RegularExpressions;
using Strata.Core.Errors;

namespace Strata.Core.Jobs;

/// <summary>The rules for job fields, with messages that name the field.</summary>
public static partial class JobValidation
{
    public const int MaxResults = 1000;
    public const int DefaultMaxResults = 100;

    /// <summary>Longest allowed timeout: a week (longer work belongs to a workflow engine).</summary>
    public const long MaxTimeoutSeconds = 7 * 24 * 3600;

    public const int MaxArgs = 256;
    public const int MaxEnv = 256;
    public const int MaxEventTypes = 32;

    public static string Name(string? name)
    {
        if (name is null || !NameRegex().IsMatch(name) || name == "executions")
        {
            throw MlflowException.InvalidParameter(
                $"Invalid value '{name}' for parameter 'name': a job name starts and ends with a letter or digit, is at most 64 characters long, " +
                "contains only letters, digits, '.', '_' and '-', and is not 'executions'.");
        }

        return name;
    }

    public static string Command(string? command) =>
        string.IsNullOrWhiteSpace(command) || command.Contains('\0', StringComparison.Ordinal)
            ? throw MlflowException.InvalidParameter("Invalid value for parameter 'command': the program to run must be given (a path or a name on PATH).")
            : command;

    public static IReadOnlyList<string> Args(IReadOnlyList<string> args)
    {
        if (args.Count > MaxArgs)
        {
            throw MlflowException.InvalidParameter($"Invalid value for parameter 'args': at most {MaxArgs} arguments.");
        }

        for (var i = 0; i < args.Count; i++)
        {
            if (args[i].Contains('\0', StringComparison.Ordinal))
            {
                throw MlflowException.InvalidParameter($"Invalid value for parameter 'args[{i}]': it contains a NUL character.");
            }
        }

        return args;
    }

    public static IReadOnlyDictionary<string, string> Env(IReadOnlyDictionary<string, string> env)
    {
        if (env.Count > MaxEnv)
        {
            throw MlflowException.InvalidParameter($"Invalid value for parameter 'env': at most {MaxEnv} variables.");
        }

        foreach (var (key, value) in env)
        {
            if (!EnvNameRegex().IsMatch(key))
            {
                throw MlflowException.InvalidParameter($"Invalid value for parameter 'env': '{key}' is not a variable name (letters, digits and '_', not starting with a digit).");
            }

            if (value.Contains('\0', StringComparison.Ordinal))
            {
                throw MlflowException.InvalidParameter($"Invalid value for parameter 'env.{key}': it contains a NUL character.");
            }
        }

        return env;
    }

    public static long? TimeoutMs(long? seconds) => seconds switch
    {
        null or 0 => null,
        < 0 or > MaxTimeoutSeconds => throw MlflowException.InvalidParameter(
            $"Invalid value {seconds} for parameter 'timeout_seconds': it must be between 1 and {MaxTimeoutSeconds} (0 or absent: no limit)."),
        { } s => s * 1000,
    };

    public static IReadOnlyList<string> EventTypes(IReadOnlyList<string> types)
    {
        if (types.Count > MaxEventTypes)
        {
            throw MlflowException.InvalidParameter($"Invalid value for parameter 'event_types': at most {MaxEventTypes} event types.");
        }

        for (var i = 0; i < types.Count; i++)
        {
            if (!EventTypeRegex().IsMatch(types[i]))
            {
                throw MlflowException.InvalidParameter(
                    $"Invalid value '{types[i]}' for parameter 'event_types[{i}]': an event type is dotted lower-case words, such as deployment.drift_share.exceeded or model_version.created.");
            }
        }

        return types.Distinct(StringComparer.Ordinal).ToList();
    }

    public const int MaxConcurrentLimit = 1000;

    public static string Runner(string? runner) => runner switch
    {
        null or "" or JobRunners.Local => JobRunners.Local,
        JobRunners.Kubernetes => JobRunners.Kubernetes,
        _ => throw MlflowException.InvalidParameter($"Invalid value '{runner}' for parameter 'runner': expected local or kubernetes."),
    };

    public static string ConcurrencyPolicy(string? policy) => policy switch
    {
        null or "" => JobConcurrencyPolicies.Forbid,
        JobConcurrencyPolicies.Allow or JobConcurrencyPolicies.Forbid or JobConcurrencyPolicies.Replace => policy,
        _ => throw MlflowException.InvalidParameter($"Invalid value '{policy}' for parameter 'concurrency_policy': expected allow, forbid or replace."),
    };

    /// <summary>0 clears the limit (null).</summary>
    public static int? MaxConcurrent(long? max) => max switch
    {
        null or 0 => null,
        < 0 or > MaxConcurrentLimit => throw MlflowException.InvalidParameter(
            $"Invalid value {max} for parameter 'max_concurrent': it must be between 1 and {MaxConcurrentLimit} (0: the policy's default)."),
        { } n => (int)n,
    };

    /// <summary>Checks the names Kubernetes would reject, so a bad spec fails when written rather than at every execution.</summary>
    public static KubernetesJobSpec Kubernetes(KubernetesJobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Image is { } image && (string.IsNullOrWhiteSpace(image) || image.Any(char.IsWhiteSpace)))
        {
            throw MlflowException.InvalidParameter($"Invalid value '{image}' for parameter 'kubernetes.image': an image reference has no spaces.");
        }

        if (spec.Namespace is { } ns && !DnsLabelRegex().IsMatch(ns))
        {
            throw MlflowException.InvalidParameter($"Invalid value '{ns}' for parameter 'kubernetes.namespace': a namespace is a DNS label (lower-case letters, digits and '-', at most 63).");
        }

        if (spec.ServiceAccount is { } sa && !DnsSubdomainRegex().IsMatch(sa))
        {
            throw MlflowException.InvalidParameter($"Invalid value '{sa}' for parameter 'kubernetes.service_account': a service account name is a DNS subdomain.");
        }

        Quantities(spec.Requests, "kubernetes.requests");
        Quantities(spec.Limits, "kubernetes.limits");
        return spec;
    }

    private static void Quantities(IReadOnlyDictionary<string, string>? quantities, string field)
    {
        foreach (var (resource, quantity) in quantities ?? new Dictionary<string, string>())
        {
            if (!ResourceNameRegex().IsMatch(resource))
            {
                throw MlflowException.InvalidParameter($"Invalid value '{resource}' for parameter '{field}': not a resource name such as cpu or memory.");
            }

            if (!QuantityRegex().IsMatch(quantity))
            {
                throw MlflowException.InvalidParameter($"Invalid value '{quantity}' for parameter '{field}.{resource}': not a Kubernetes quantity such as 500m, 2 or 1Gi.");
            }
        }
    }

    public static int PageSize(long? maxResults) => maxResults switch
    {
        null => DefaultMaxResults,
        < 1 or > MaxResults => throw MlflowException.InvalidParameter(
            $"Invalid value {maxResults} for parameter 'max_results' supplied. It must be between 1 and {MaxResults}."),
        { } n => (int)n,
    };

    [GeneratedRegex("^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$")]
    private static partial Regex NameRegex();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabelRegex();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")]
    private static partial Regex DnsSubdomainRegex();

    [GeneratedRegex("^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")]
    private static partial Regex ResourceNameRegex();

    [GeneratedRegex("^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$")]
    private static partial Regex QuantityRegex();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,254}$")]
    private static partial Regex EnvNameRegex();

    [GeneratedRegex("^[a-z][a-z0-9_]*(?:\\.[a-z][a-z0-9_]*){1,4}$")]
    private static partial Regex EventTypeRegex();
}
