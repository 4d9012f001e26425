using System.Globalization;
using Strata.Core.Tracking;

namespace Strata.Server.Ui;

/// <summary>How the pages print values: times in UTC, durations, metric values, shortened ids.</summary>
public static class UiFormat
{
    public static string Time(long? ms) => ms is null or 0
        ? "—"
        : DateTimeOffset.FromUnixTimeMilliseconds(ms.Value).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    public static string Duration(long start, long? end)
    {
        if (end is null || end < start)
        {
            return "—";
        }

        var span = TimeSpan.FromMilliseconds(end.Value - start);
        return span.TotalSeconds < 60 ? span.TotalSeconds.ToString("0.0s", CultureInfo.InvariantCulture)
            : span.TotalMinutes < 60 ? $"{(int)span.TotalMinutes}m {span.Seconds}s"
            : span.TotalHours < 48 ? $"{(int)span.TotalHours}h {span.Minutes}m"
            : $"{(int)span.TotalDays}d {span.Hours}h";
    }

    public static string Number(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "Infinity"
        : double.IsNegativeInfinity(value) ? "-Infinity"
        : Math.Abs(value) is >= 1e-4 and < 1e7 or 0 ? value.ToString("0.#####", CultureInfo.InvariantCulture)
        : value.ToString("0.####e+0", CultureInfo.InvariantCulture);

    public static string Short(string id) => id.Length > 8 ? id[..8] : id;

    public static string Bytes(long? length) => length switch
    {
        null => "",
        < 1024 => $"{length} B",
        < 1024 * 1024 => (length.Value / 1024.0).ToString("0.0 'KB'", CultureInfo.InvariantCulture),
        _ => (length.Value / (1024.0 * 1024)).ToString("0.0 'MB'", CultureInfo.InvariantCulture),
    };

    public static string StatusClass(RunStatus status) => status switch
    {
        RunStatus.FINISHED => "ok",
        RunStatus.FAILED or RunStatus.KILLED => "bad",
        _ => "live",
    };

    public static string? Tag(IReadOnlyList<KeyValue> tags, string key) => tags.FirstOrDefault(t => t.Key == key)?.Value;

    /// <summary>A query-string value, escaped.</summary>
    public static string Q(string? value) => Uri.EscapeDataString(value ?? "");
}
