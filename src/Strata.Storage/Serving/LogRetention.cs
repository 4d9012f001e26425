using System.Globalization;
using System.Text.RegularExpressions;

namespace Strata.Storage.Serving;

/// <summary>
/// How long and how much prediction log to keep: an age (<c>7d</c>, <c>12h</c>, <c>1d12h</c>), a size (<c>500MB</c>,
/// <c>2GB</c>), or both (<c>7d,2GB</c>). Whatever is past either limit goes, oldest first.
/// </summary>
public sealed partial record LogRetention(TimeSpan? MaxAge, long? MaxBytes)
{
    public static LogRetention Parse(string text, string flag = "--log-retention")
    {
        ArgumentNullException.ThrowIfNull(text);
        TimeSpan? age = null;
        long? bytes = null;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var size = SizePattern().Match(part);
            if (size.Success)
            {
                var unit = size.Groups["u"].Value.ToUpperInvariant();
                var multiplier = unit switch
                {
                    "KB" => 1L << 10,
                    "MB" => 1L << 20,
                    "GB" => 1L << 30,
                    "TB" => 1L << 40,
                    _ => 1L,
                };
                bytes = checked(long.Parse(size.Groups["n"].Value, CultureInfo.InvariantCulture) * multiplier);
                continue;
            }

            var duration = AgePattern().Match(part);
            if (duration.Success && duration.Length > 0 && duration.Groups.Cast<Group>().Skip(1).Any(g => g.Success))
            {
                static long Part(Group g) => g.Success ? long.Parse(g.Value, CultureInfo.InvariantCulture) : 0;
                age = TimeSpan.FromDays(Part(duration.Groups["d"])) + TimeSpan.FromHours(Part(duration.Groups["h"]))
                    + TimeSpan.FromMinutes(Part(duration.Groups["m"])) + TimeSpan.FromSeconds(Part(duration.Groups["s"]));
                continue;
            }

            throw new ArgumentException($"{flag} '{text}': '{part}' is neither an age (7d, 12h, 1d12h) nor a size (500MB, 2GB).");
        }

        if (age is null && bytes is null)
        {
            throw new ArgumentException($"{flag} needs an age (7d), a size (2GB) or both (7d,2GB).");
        }

        if (age <= TimeSpan.Zero || bytes <= 0)
        {
            throw new ArgumentException($"{flag} '{text}': the age and size must be above zero.");
        }

        return new LogRetention(age, bytes);
    }

    [GeneratedRegex(@"^(?<n>\d{1,12})\s*(?<u>B|KB|MB|GB|TB)$", RegexOptions.IgnoreCase)]
    private static partial Regex SizePattern();

    [GeneratedRegex(@"^(?:(?<d>\d{1,6})d)?(?:(?<h>\d{1,7})h)?(?:(?<m>\d{1,9})m)?(?:(?<s>\d{1,10})s)?$")]
    private static partial Regex AgePattern();
}
