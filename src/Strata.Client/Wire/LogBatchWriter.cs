using System.Buffers;
using System.Text.Json;
using Strata.Core.Tracking;

namespace Strata.Client.Wire;

/// <summary>
/// Writes a runs/log-batch body straight to UTF-8. This is the hot path of metric logging (a million points
/// a minute is ordinary), so it avoids the reflection serializer and intermediate objects.
/// </summary>
internal static class LogBatchWriter
{
    public static byte[] Write(
        string runId, IReadOnlyCollection<Metric> metrics, IReadOnlyCollection<KeyValue> parameters, IReadOnlyCollection<KeyValue> tags)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + metrics.Count * 96);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("run_id"u8, runId);
            if (metrics.Count > 0)
            {
                w.WriteStartArray("metrics"u8);
                foreach (var m in metrics)
                {
                    w.WriteStartObject();
                    WriteMetricFields(w, m.Key, m.Value, m.Timestamp, m.Step);
                    WriteOptional(w, "model_id"u8, m.ModelId);
                    WriteOptional(w, "dataset_name"u8, m.DatasetName);
                    WriteOptional(w, "dataset_digest"u8, m.DatasetDigest);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            WritePairs(w, "params"u8, parameters);
            WritePairs(w, "tags"u8, tags);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The same body for the buffered logger's points (no per-point Metric allocation).</summary>
    public static byte[] Write(string runId, ReadOnlySpan<MetricPoint> points)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + points.Length * 96);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("run_id"u8, runId);
            w.WriteStartArray("metrics"u8);
            foreach (ref readonly var p in points)
            {
                w.WriteStartObject();
                WriteMetricFields(w, p.Key, p.Value, p.Timestamp, p.Step);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteMetricFields(Utf8JsonWriter w, string key, double value, long timestamp, long step)
    {
        w.WriteString("key"u8, key);
        WriteDouble(w, "value"u8, value);
        w.WriteNumber("timestamp"u8, timestamp);
        w.WriteNumber("step"u8, step);
    }

    private static void WriteOptional(Utf8JsonWriter w, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    /// <summary>Non-finite values go as the strings MLflow uses (spec §2).</summary>
    public static void WriteDouble(Utf8JsonWriter w, ReadOnlySpan<byte> name, double value)
    {
        if (double.IsNaN(value))
        {
            w.WriteString(name, "NaN"u8);
        }
        else if (double.IsPositiveInfinity(value))
        {
            w.WriteString(name, "Infinity"u8);
        }
        else if (double.IsNegativeInfinity(value))
        {
            w.WriteString(name, "-Infinity"u8);
        }
        else
        {
            w.WriteNumber(name, value);
        }
    }

    private static void WritePairs(Utf8JsonWriter w, ReadOnlySpan<byte> name, IReadOnlyCollection<KeyValue> pairs)
    {
        if (pairs.Count == 0)
        {
            return;
        }
        w.WriteStartArray(name);
        foreach (var kv in pairs)
        {
            w.WriteStartObject();
            w.WriteString("key"u8, kv.Key);
            w.WriteString("value"u8, kv.Value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}

/// <summary>A buffered metric point: a struct so a million of them cost no garbage collections.</summary>
internal readonly record struct MetricPoint(string Key, double Value, long Timestamp, long Step);
