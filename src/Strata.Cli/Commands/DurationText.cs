using System.Globalization;
using System.Text.RegularExpressions;

namespace Strata.Cli.Commands;

/// <summary>Ages written like <c>30d</c>, <c>1h30m</c> or <c>1d2h3m4s</c> (the form <c>mlflow gc --older-than</c> takes).</summary>
public static partial class DurationText
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var match = Pattern().Match(text.Trim());
        if (!match.Success || match.Length == 0 || !match.Groups.Cast<Group>().Skip(1).Any(g => g.Success))
        {
            return false;
        }

        static long Part(Group g) => g.Success ? long.Parse(g.Value, CultureInfo.InvariantCulture) : 0;
        try
        {
            duration = TimeSpan.FromDays(Part(match.Groups["d"]))
                + TimeSpan.FromHours(Part(match.Groups["h"]))
                + TimeSpan.FromMinutes(Part(match.Groups["m"]))
                + TimeSpan.FromSeconds(Part(match.Groups["s"]));
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^(?:(?<d>\d{1,6})d)?(?:(?<h>\d{1,7})h)?(?:(?<m>\d{1,9})m)?(?:(?<s>\d{1,10})s)?$")]
    private static partial Regex Pattern();
}
