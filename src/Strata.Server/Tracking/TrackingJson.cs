using System.Text.Json;
using Strata.Core.Tracking;

namespace Strata.Server.Tracking;

/// <summary>
/// Tracking entities in MLflow's JSON form (spec §2, §4): snake_case, int64 as numbers,
/// non-finite doubles as strings, unset fields and empty arrays omitted.
/// </summary>
public static class TrackingJson
{
    public static void WriteExperiment(Utf8JsonWriter w, Experiment e)
    {
        w.WriteStartObject();
        w.WriteString("experiment_id"u8, e.ExperimentId);
        w.WriteString("name"u8, e.Name);
        w.WriteString("artifact_location"u8, e.ArtifactLocation);
        w.WriteString("lifecycle_stage"u8, e.LifecycleStage.ToWire());
        w.WriteNumber("last_update_time"u8, e.LastUpdateTime);
        w.WriteNumber("creation_time"u8, e.CreationTime);
        WriteKeyValues(w, "tags"u8, e.Tags);
        w.WriteEndObject();
    }

    public static void WriteRun(Utf8JsonWriter w, Run run)
    {
        w.WriteStartObject();
        w.WritePropertyName("info"u8);
        WriteRunInfo(w, run.Info);

        w.WritePropertyName("data"u8);
        w.WriteStartObject();
        WriteMetrics(w, "metrics"u8, run.Data.Metrics);
        WriteKeyValues(w, "params"u8, run.Data.Params);
        WriteKeyValues(w, "tags"u8, run.Data.Tags);
        w.WriteEndObject();

        w.WritePropertyName("inputs"u8);
        w.WriteStartObject();
        if (run.Inputs.DatasetInputs.Count > 0)
        {
            w.WriteStartArray("dataset_inputs"u8);
            foreach (var input in run.Inputs.DatasetInputs)
            {
                w.WriteStartObject();
                WriteKeyValues(w, "tags"u8, input.Tags);
                w.WritePropertyName("dataset"u8);
                WriteDataset(w, input.Dataset);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        if (run.Inputs.ModelInputs.Count > 0)
        {
            w.WriteStartArray("model_inputs"u8);
            foreach (var input in run.Inputs.ModelInputs)
            {
                w.WriteStartObject();
                w.WriteString("model_id"u8, input.ModelId);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();

        w.WritePropertyName("outputs"u8);
        w.WriteStartObject();
        if (run.Outputs.ModelOutputs.Count > 0)
        {
            w.WriteStartArray("model_outputs"u8);
            foreach (var output in run.Outputs.ModelOutputs)
            {
                w.WriteStartObject();
                w.WriteString("model_id"u8, output.ModelId);
                w.WriteNumber("step"u8, output.Step);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void WriteRunInfo(Utf8JsonWriter w, RunInfo info)
    {
        w.WriteStartObject();
        w.WriteString("run_id"u8, info.RunId);
        w.WriteString("run_uuid"u8, info.RunId);
        w.WriteString("run_name"u8, info.RunName);
        w.WriteString("experiment_id"u8, info.ExperimentId);
        w.WriteString("user_id"u8, info.UserId);
        w.WriteString("status"u8, info.Status.ToString());
        w.WriteNumber("start_time"u8, info.StartTime);
        if (info.EndTime is { } end and not 0)
        {
            w.WriteNumber("end_time"u8, end);
        }

        w.WriteString("artifact_uri"u8, info.ArtifactUri);
        w.WriteString("lifecycle_stage"u8, info.LifecycleStage.ToWire());
        w.WriteEndObject();
    }

    public static void WriteMetric(Utf8JsonWriter w, Metric m) => WriteMetric(w, m, JsonEncodedText.Encode(m.Key, Strata.Server.Wire.WireResults.WriterOptions.Encoder));

    /// <summary>A metric whose key is already encoded: a history page repeats one key for every point.</summary>
    private static void WriteMetric(Utf8JsonWriter w, Metric m, JsonEncodedText key)
    {
        w.WriteStartObject();
        w.WriteString("key"u8, key);
        WriteDouble(w, "value"u8, m.Value);
        w.WriteNumber("timestamp"u8, m.Timestamp);
        w.WriteNumber("step"u8, m.Step);
        WriteOptional(w, "run_id"u8, m.RunId);
        WriteOptional(w, "model_id"u8, m.ModelId);
        WriteOptional(w, "dataset_name"u8, m.DatasetName);
        WriteOptional(w, "dataset_digest"u8, m.DatasetDigest);
        w.WriteEndObject();
    }

    /// <summary>A streamed history point: the same members, in the same order, as <see cref="WriteMetric(Utf8JsonWriter, Metric)"/> of a history page.</summary>
    public static void WriteMetricPoint(Utf8JsonWriter w, JsonEncodedText key, in MetricHistoryPoint p)
    {
        w.WriteStartObject();
        w.WriteString("key"u8, key);
        WriteDouble(w, "value"u8, p.Value);
        w.WriteNumber("timestamp"u8, p.Timestamp);
        w.WriteNumber("step"u8, p.Step);
        WriteOptional(w, "model_id"u8, p.ModelId);
        WriteOptional(w, "dataset_name"u8, p.DatasetName);
        WriteOptional(w, "dataset_digest"u8, p.DatasetDigest);
        w.WriteEndObject();
    }

    public static void WriteMetrics(Utf8JsonWriter w, ReadOnlySpan<byte> name, IReadOnlyList<Metric> metrics)
    {
        if (metrics.Count == 0)
        {
            return;
        }

        w.WriteStartArray(name);
        string? lastKey = null;
        JsonEncodedText encodedKey = default;
        foreach (var metric in metrics)
        {
            if (!string.Equals(metric.Key, lastKey, StringComparison.Ordinal))
            {
                lastKey = metric.Key;
                encodedKey = JsonEncodedText.Encode(lastKey, Strata.Server.Wire.WireResults.WriterOptions.Encoder);
            }

            WriteMetric(w, metric, encodedKey);
        }

        w.WriteEndArray();
    }

    public static void WriteLoggedModel(Utf8JsonWriter w, LoggedModel model)
    {
        var info = model.Info;
        w.WriteStartObject();
        w.WritePropertyName("info"u8);
        w.WriteStartObject();
        w.WriteString("model_id"u8, info.ModelId);
        w.WriteString("experiment_id"u8, info.ExperimentId);
        w.WriteString("name"u8, info.Name);
        w.WriteNumber("creation_timestamp_ms"u8, info.CreationTimestampMs);
        w.WriteNumber("last_updated_timestamp_ms"u8, info.LastUpdatedTimestampMs);
        w.WriteString("artifact_uri"u8, info.ArtifactUri);
        w.WriteString("status"u8, info.Status.ToString());
        WriteOptional(w, "creator_id"u8, info.CreatorId);
        WriteOptional(w, "model_type"u8, info.ModelType);
        WriteOptional(w, "source_run_id"u8, info.SourceRunId);
        WriteOptional(w, "status_message"u8, info.StatusMessage);
        WriteKeyValues(w, "tags"u8, info.Tags);
        if (info.Registrations.Count > 0)
        {
            w.WriteStartArray("registrations"u8);
            foreach (var registration in info.Registrations)
            {
                w.WriteStartObject();
                w.WriteString("name"u8, registration.Name);
                w.WriteString("version"u8, registration.Version);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WritePropertyName("data"u8);
        w.WriteStartObject();
        WriteKeyValues(w, "params"u8, model.Params);
        WriteMetrics(w, "metrics"u8, model.Metrics);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void WriteKeyValues(Utf8JsonWriter w, ReadOnlySpan<byte> name, IReadOnlyList<KeyValue> items)
    {
        if (items.Count == 0)
        {
            return;
        }

        w.WriteStartArray(name);
        foreach (var item in items)
        {
            w.WriteStartObject();
            w.WriteString("key"u8, item.Key);
            w.WriteString("value"u8, item.Value);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>Non-finite values as MLflow's strings "NaN", "Infinity", "-Infinity".</summary>
    public static void WriteDouble(Utf8JsonWriter w, ReadOnlySpan<byte> name, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumber(name, value);
        }
        else
        {
            w.WriteString(name, double.IsNaN(value) ? "NaN"u8 : value > 0 ? "Infinity"u8 : "-Infinity"u8);
        }
    }

    public static void WriteNextPageToken(Utf8JsonWriter w, string? token)
    {
        if (!string.IsNullOrEmpty(token))
        {
            w.WriteString("next_page_token"u8, token);
        }
    }

    private static void WriteDataset(Utf8JsonWriter w, Dataset d)
    {
        w.WriteStartObject();
        w.WriteString("name"u8, d.Name);
        w.WriteString("digest"u8, d.Digest);
        w.WriteString("source_type"u8, d.SourceType);
        w.WriteString("source"u8, d.Source);
        WriteOptional(w, "schema"u8, d.Schema);
        WriteOptional(w, "profile"u8, d.Profile);
        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }
}
