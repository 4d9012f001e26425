using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Strata.Server.Ui;

/// <summary>
/// The data of a metric chart as plotly.js takes it: one line per run, x by the chosen axis, smoothed, cut down with
/// LTTB. The page embeds it so the browser draws on DOM ready (no circuit to wait for), and the chart's controls fetch
/// it again from <see cref="UiMetricSeriesApi"/> when the x axis or the smoothing changes.
/// </summary>
public static class MetricChartPayload
{
    /// <summary>
    /// The JSON, <c>{"axis":"Step","title":"step","note":"…","lines":[{"name":…,"x":[…],"y":[…]}]}</c>. Wall time goes out as
    /// UTC date strings (plotly's date axis reads them as written); a non-finite value (LTTB leaves them out already) as null, never
    /// invalid JSON; and the note on points shown.
    /// The writer's default encoder escapes <c>&lt;</c>, <c>&gt;</c> and <c>&amp;</c>, so the text is safe inside a
    /// <c>&lt;script&gt;</c> element.
    /// </summary>
    public static (string Json, string Note) Write(IReadOnlyList<IReadOnlyList<MetricPoint>> histories, IReadOnlyList<string>? names, ChartXAxis axis, double smoothing)
    {
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        long total = 0, shown = 0;
        string note;
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("axis", axis.ToString());
            w.WriteString("title", AxisTitle(axis));
            w.WriteStartArray("lines");
            for (var i = 0; i < histories.Count; i++)
            {
                var series = MetricSeriesReader.ToSeries(histories[i], axis, smoothing);
                total += histories[i].Count;
                shown += series.Length;
                w.WriteStartObject();
                if (names is not null && i < names.Count)
                {
                    w.WriteString("name", names[i]);
                }

                w.WriteStartArray("x");
                foreach (var p in series)
                {
                    if (axis == ChartXAxis.WallTime)
                    {
                        w.WriteStringValue(DateTimeOffset.FromUnixTimeMilliseconds((long)p.X).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        w.WriteNumberValue(p.X);
                    }
                }

                w.WriteEndArray();
                w.WriteStartArray("y");
                foreach (var p in series)
                {
                    if (double.IsFinite(p.Y))
                    {
                        w.WriteNumberValue(p.Y);
                    }
                    else
                    {
                        w.WriteNullValue();
                    }
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            note = total == shown ? UiFormat.Count(total, "point") : $"{UiFormat.Count(total, "point")}, {shown:N0} drawn (LTTB)";
            w.WriteString("note", note);
            w.WriteEndObject();
        }

        return (System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan), note);
    }

    public static string AxisTitle(ChartXAxis axis) => axis switch
    {
        ChartXAxis.WallTime => "time (UTC)",
        ChartXAxis.RelativeTime => "seconds",
        _ => "step",
    };
}
