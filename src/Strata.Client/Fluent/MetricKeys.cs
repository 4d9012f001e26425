using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Strata.Client.Fluent;

/// <summary>
/// MLflow's key rules (spec §7), checked where <c>LogMetric</c> is called so a bad key fails at its call site
/// instead of poisoning a batch in the background. Keys seen once are cached: a loop logs a handful of keys
/// millions of times.
/// </summary>
internal sealed partial class MetricKeys
{
    private const int MaxLength = 250;
    private readonly ConcurrentDictionary<string, bool> _valid = new(StringComparer.Ordinal);

    public void Validate(string key)
    {
        if (_valid.ContainsKey(key))
        {
            return;
        }
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0 || key.Length > MaxLength)
        {
            throw new ArgumentException($"Metric key must have 1 to {MaxLength} characters; got {key.Length}.", nameof(key));
        }
        if (!KeyPattern().IsMatch(key))
        {
            throw new ArgumentException(
                $"Invalid metric key '{key}': only alphanumerics, underscores, dashes, periods, spaces, colons and slashes are allowed.",
                nameof(key));
        }
        if (key.StartsWith('/') || key.EndsWith('/') || key.StartsWith("..", StringComparison.Ordinal) || key == "."
            || key.Contains("//", StringComparison.Ordinal) || key.Contains("/./", StringComparison.Ordinal)
            || key.Contains("/../", StringComparison.Ordinal) || key.EndsWith("/.", StringComparison.Ordinal)
            || key.EndsWith("/..", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Invalid metric key '{key}': it must be a normalized relative path.", nameof(key));
        }
        if (_valid.Count < 10_000)
        {
            _valid.TryAdd(key, true);
        }
    }

    [GeneratedRegex(@"^[/\w.\- :]*$")]
    private static partial Regex KeyPattern();
}
