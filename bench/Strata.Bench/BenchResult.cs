using System.Globalization;

namespace Strata.Bench;

/// <summary>One line of the final table.</summary>
internal sealed record BenchResult(string Phase, string Operations, TimeSpan Elapsed, double? Rate, string RateUnit, Latencies? Latencies, string Note = "")
{
    public static void Print(TextWriter output, BenchOptions options, IReadOnlyList<BenchResult> results, IReadOnlyList<string> notes)
    {
        output.WriteLine();
        output.WriteLine($"Strata tracking bench: {(options.Urls.Count == 0 ? "no server" : string.Join(", ", options.Urls))} | {options.Connections} connections | {(options.Quick ? "quick" : "full")} sizes | {Environment.ProcessorCount} cores");
        var header = new[] { "phase", "operations", "elapsed", "throughput", "p50", "p99", "note" };
        var rows = results.Select(r => new[]
        {
            r.Phase,
            r.Operations,
            $"{r.Elapsed.TotalSeconds:F2} s",
            r.Rate is { } rate ? $"{Format(rate)} {r.RateUnit}" : "",
            r.Latencies is { Count: > 0 } l ? Ms(l.Percentile(50)) : "",
            r.Latencies is { Count: > 0 } l2 ? Ms(l2.Percentile(99)) : "",
            r.Note,
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();

        void Line(string[] cells) => output.WriteLine(string.Join("  ", cells.Select((c, i) =>
            i is 0 or 6 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd());

        Line(header);
        output.WriteLine(new string('-', widths.Sum() + 2 * (widths.Length - 1)));
        foreach (var row in rows)
        {
            Line(row);
        }
        foreach (var note in notes)
        {
            output.WriteLine(note);
        }
    }

    /// <summary>Machine-readable copy of the table for scripts: phase, rate, unit, p50 ms, p99 ms (empty when not measured).</summary>
    public static void WriteTsv(TextWriter output, IReadOnlyList<BenchResult> results)
    {
        static string Num(double? v) => v is { } x ? x.ToString("F3", CultureInfo.InvariantCulture) : "";
        foreach (var r in results)
        {
            var has = r.Latencies is { Count: > 0 };
            output.WriteLine(string.Join('\t', r.Phase, Num(r.Rate), r.RateUnit,
                Num(has ? r.Latencies!.Percentile(50).TotalMilliseconds : null),
                Num(has ? r.Latencies!.Percentile(99).TotalMilliseconds : null)));
        }
    }

    public static string Format(double value) => value >= 100
        ? value.ToString("N0", CultureInfo.InvariantCulture)
        : value.ToString("N2", CultureInfo.InvariantCulture);

    private static string Ms(TimeSpan t) => t.TotalMilliseconds >= 100
        ? $"{t.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture)} ms"
        : $"{t.TotalMilliseconds.ToString("F2", CultureInfo.InvariantCulture)} ms";
}
