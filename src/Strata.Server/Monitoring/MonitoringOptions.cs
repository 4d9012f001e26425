namespace Strata.Server.Monitoring;

/// <summary>
/// Monitoring's background work: how often drift is computed for every monitored version (each run covers the
/// interval that just ended; zero turns the schedule off), and whether a version's reference profile is computed when
/// it is registered.
/// </summary>
public sealed class MonitoringOptions
{
    public TimeSpan DriftInterval { get; set; } = TimeSpan.FromHours(1);

    public bool ProfileOnRegister { get; set; } = true;

    /// <summary>How often error-rate and latency-p99 alerts are evaluated against the stored service metrics; zero turns them off.</summary>
    public TimeSpan AlertInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the registry's event log is read for new versions to profile.</summary>
    public TimeSpan RegistryPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A duration as a number with a unit (<c>500ms</c>, <c>30s</c>, <c>15m</c>, <c>1h</c>, <c>1d</c>), <c>0</c>, or <c>hh:mm:ss</c>.</summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (text == "0")
        {
            return true;
        }

        var units = new (string Suffix, double Ms)[] { ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000) };
        foreach (var (suffix, ms) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n)
                && n >= 0 && double.IsFinite(n))
            {
                duration = TimeSpan.FromMilliseconds(n * ms);
                return true;
            }
        }

        return TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
    }

    public void Validate()
    {
        if (DriftInterval < TimeSpan.Zero)
        {
            throw new ArgumentException("--drift-interval must not be negative.");
        }

        if (DriftInterval > TimeSpan.Zero && DriftInterval < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException("--drift-interval must be at least one second (or 0 to turn scheduled drift off).");
        }

        if (AlertInterval < TimeSpan.Zero)
        {
            throw new ArgumentException("--alert-interval must not be negative.");
        }

        if (RegistryPollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("The registry poll interval must be positive.");
        }
    }
}
