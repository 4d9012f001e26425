using System.Globalization;

namespace Strata.Server.Security;

/// <summary>
/// How many requests one caller may make in a period (<c>--rate-limit 100/s</c>, <c>6000/m</c>): a token bucket per
/// caller that refills <see cref="Permits"/> tokens every <see cref="Period"/> and holds at most that many.
/// </summary>
public sealed record RateLimitSetting(int Permits, TimeSpan Period)
{
    /// <summary>Parses <c>N/s</c>, <c>N/m</c> or <c>N/h</c> (a bare <c>N</c> means per second).</summary>
    public static RateLimitSetting Parse(string value, string name)
    {
        ArgumentNullException.ThrowIfNull(value);
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        var count = slash < 0 ? value : value[..slash];
        var unit = slash < 0 ? "s" : value[(slash + 1)..].Trim().ToLowerInvariant();
        TimeSpan? period = unit switch
        {
            "s" or "sec" or "second" => TimeSpan.FromSeconds(1),
            "m" or "min" or "minute" => TimeSpan.FromMinutes(1),
            "h" or "hour" => TimeSpan.FromHours(1),
            _ => null,
        };
        if (!int.TryParse(count.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var permits) || permits <= 0 || period is null)
        {
            throw new ArgumentException($"{name} must be a number of requests per second, minute or hour such as 100/s or 6000/m, got '{value}'.");
        }

        return new RateLimitSetting(permits, period.Value);
    }

    public override string ToString() =>
        $"{Permits.ToString(CultureInfo.InvariantCulture)}/{(Period == TimeSpan.FromSeconds(1) ? "s" : Period == TimeSpan.FromMinutes(1) ? "m" : "h")}";
}
