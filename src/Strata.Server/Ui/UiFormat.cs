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

    /// <summary>A signature column type as MLflow writes it: double, array&lt;long&gt;, object{a: string}, map&lt;double&gt;.</summary>
    public static string TypeName(Strata.Core.Models.ColumnType type) => type switch
    {
        Strata.Core.Models.ScalarColumnType s => Strata.Core.Models.DataTypeNames.ToWire(s.Type),
        Strata.Core.Models.ArrayColumnType a => $"array<{TypeName(a.Items)}>",
        Strata.Core.Models.MapColumnType m => $"map<{TypeName(m.Values)}>",
        Strata.Core.Models.ObjectColumnType o => "object{" + string.Join(", ", o.Properties.Select(p => $"{p.Name}: {TypeName(p.Type)}")) + "}",
        Strata.Core.Models.AnyColumnType => "any",
        Strata.Core.Models.SparkMlVectorColumnType => "sparkml_vector",
        _ => type.ToString(),
    };

    /// <summary>"1 point", "2 points".</summary>
    public static string Count(long n, string noun) => n == 1 ? $"1 {noun}" : $"{n:N0} {noun}s";

    /// <summary>A query-string value, escaped.</summary>
    public static string Q(string? value) => Uri.EscapeDataString(value ?? "");
}
