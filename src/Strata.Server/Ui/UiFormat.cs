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

    /// <summary>A trace id shortened for a table: MLflow 3's "tr-" prefix and the first hex digits.</summary>
    public static string ShortTrace(string id) => id.StartsWith("tr-", StringComparison.Ordinal) && id.Length > 13 ? id[..13] : Short(id);

    /// <summary>A duration in milliseconds as people read it: 850 ms, 1.25 s, 2m 3s.</summary>
    public static string Millis(double? ms) => ms switch
    {
        null => "—",
        < 1 => ms.Value.ToString("0.###' ms'", CultureInfo.InvariantCulture),
        < 1000 => ms.Value.ToString("0.#' ms'", CultureInfo.InvariantCulture),
        < 60_000 => (ms.Value / 1000).ToString("0.##' s'", CultureInfo.InvariantCulture),
        _ => Duration(0, (long)ms.Value),
    };

    public static string TraceStateClass(Strata.Core.Traces.TraceState state) => state switch
    {
        Strata.Core.Traces.TraceState.OK => "ok",
        Strata.Core.Traces.TraceState.ERROR => "bad",
        _ => "live",
    };

    /// <summary>An assessment's value as short text: the JSON value, the serialized value, or its error.</summary>
    public static string AssessmentValue(Strata.Core.Traces.Assessment a)
    {
        if (a.Error is { } error && (string.IsNullOrEmpty(a.ValueJson) || a.ValueJson == "null"))
        {
            return "error: " + (error.ErrorCode ?? error.ErrorMessage ?? "?");
        }

        var text = a.ValueJson ?? a.SerializedValue?.Value ?? "—";
        return text.Length >= 2 && text[0] == '"' && text[^1] == '"' ? text[1..^1] : text;
    }

    /// <summary>A share (0..1) as a percentage.</summary>
    public static string Percent(double share) => (share * 100).ToString(share is > 0 and < 0.001 ? "0.###'%'" : "0.#'%'", CultureInfo.InvariantCulture);

    /// <summary>A route weight (0..100) as a percentage.</summary>
    public static string Weight(double weight) => weight.ToString("0.##'%'", CultureInfo.InvariantCulture);

    /// <summary>A number for a CSS value (never a decimal comma).</summary>
    public static string Css(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>A query-string value, escaped.</summary>
    public static string Q(string? value) => Uri.EscapeDataString(value ?? "");
}
