using Cronos;
using Strata.Core.Errors;

namespace Strata.Core.Jobs;

/// <summary>
/// A cron schedule (Cronos): five fields, or six with seconds first; macros such as <c>@daily</c>; in a time zone
/// (IANA or Windows id, default UTC), so "03:00 every day" follows daylight saving where the team lives.
/// </summary>
public sealed class JobSchedule
{
    // An occurrence missed while no replica ran (all down) is run once, the latest one; this bounds the look-back.
    private static readonly TimeSpan MaxLookBack = TimeSpan.FromDays(1);

    private readonly CronExpression _cron;
    private readonly TimeZoneInfo _zone;

    private JobSchedule(CronExpression cron, TimeZoneInfo zone)
    {
        _cron = cron;
        _zone = zone;
    }

    /// <summary>Parses and checks a schedule; the error names the field.</summary>
    public static JobSchedule Parse(string expression, string? timeZone)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var trimmed = expression.Trim();
        var fields = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        var format = fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
        CronExpression cron;
        try
        {
            cron = CronExpression.Parse(string.Join(' ', trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries)), format);
        }
        catch (CronFormatException e)
        {
            throw MlflowException.InvalidParameter(
                $"Invalid value '{expression}' for parameter 'schedule': {e.Message} Use five cron fields (minute hour day month weekday), six with seconds first, or a macro such as @daily.");
        }

        TimeZoneInfo zone;
        try
        {
            zone = string.IsNullOrEmpty(timeZone) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw MlflowException.InvalidParameter($"Invalid value '{timeZone}' for parameter 'timezone': not a known time zone id (for example Europe/Paris or UTC).");
        }

        return new JobSchedule(cron, zone);
    }

    /// <summary>The first occurrence strictly after <paramref name="afterMs"/>, or null when there is none.</summary>
    public long? NextAfter(long afterMs) =>
        _cron.GetNextOccurrence(DateTimeOffset.FromUnixTimeMilliseconds(afterMs), _zone, inclusive: false)?.ToUnixTimeMilliseconds();

    /// <summary>
    /// The occurrence to run now: the latest one in (<paramref name="afterMs"/>, <paramref name="nowMs"/>], or null
    /// when none is due. Older missed ones are skipped, so a cluster that was down runs a job once, not once per miss.
    /// </summary>
    public long? DueAt(long afterMs, long nowMs)
    {
        var from = Math.Max(afterMs, nowMs - (long)MaxLookBack.TotalMilliseconds);
        if (NextAfter(from) is not { } first || first > nowMs)
        {
            return null;
        }

        long? latest = null;
        foreach (var o in _cron.GetOccurrences(
            DateTimeOffset.FromUnixTimeMilliseconds(from), DateTimeOffset.FromUnixTimeMilliseconds(nowMs), _zone, fromInclusive: false, toInclusive: true))
        {
            latest = o.ToUnixTimeMilliseconds();
        }

        return latest;
    }
}
