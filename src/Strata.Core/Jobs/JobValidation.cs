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

    public static int PageSize(long? maxResults) => maxResults switch
    {
        null => DefaultMaxResults,
        < 1 or > MaxResults => throw MlflowException.InvalidParameter(
            $"Invalid value {maxResults} for parameter 'max_results' supplied. It must be between 1 and {MaxResults}."),
        { } n => (int)n,
    };

    [GeneratedRegex("^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$")]
    private static partial Regex NameRegex();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,254}$")]
    private static partial Regex EnvNameRegex();

    [GeneratedRegex("^[a-z][a-z0-9_]*(?:\\.[a-z][a-z0-9_]*){1,4}$")]
    private static partial Regex EventTypeRegex();
}
