using System.Globalization;
using System.Text.Json;
using Strata.Core.Monitoring;
using Strata.Storage.Monitoring;

namespace Strata.Server.Monitoring;

/// <summary>The wire shapes of profiles, drift runs and alert thresholds (snake_case, versions as strings).</summary>
public static class MonitoringJsonWriter
{
    public static void WriteProfile(Utf8JsonWriter w, StoredProfile p)
    {
        w.WriteStartObject("reference_profile"u8);
        w.WriteString("name"u8, p.ModelName);
        w.WriteString("version"u8, p.Version.ToString(CultureInfo.InvariantCulture));
        w.WriteNumber("created_at"u8, p.CreatedAtMs);
        w.WritePropertyName("profile"u8);
        JsonSerializer.Serialize(w, p.Profile, MonitoringJson.Options);
        w.WriteEndObject();
    }

    public static void WriteRuns(Utf8JsonWriter w, IReadOnlyList<DriftRun> runs)
    {
        w.WriteStartArray("drift_runs"u8);
        foreach (var r in runs)
        {
            WriteRun(w, r);
        }

        w.WriteEndArray();
    }

    public static void WriteRun(Utf8JsonWriter w, DriftRun r)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, r.Id.ToString(CultureInfo.InvariantCulture));
        w.WriteString("deployment"u8, r.Deployment);
        w.WriteString("name"u8, r.ModelName);
        w.WriteString("version"u8, r.Version.ToString(CultureInfo.InvariantCulture));
        w.WriteNumber("window_start_ms"u8, r.WindowStartMs);
        w.WriteNumber("window_end_ms"u8, r.WindowEndMs);
        w.WriteNumber("computed_at"u8, r.ComputedAtMs);
        w.WriteString("trigger"u8, r.Trigger);
        w.WriteString("method"u8, r.Method);
        w.WriteNumber("reference_rows"u8, r.ReferenceRows);
        w.WriteNumber("current_rows"u8, r.CurrentRows);
        w.WriteNumber("features_compared"u8, r.FeaturesCompared);
        w.WriteNumber("features_drifted"u8, r.FeaturesDrifted);
        w.WriteNumber("drift_share"u8, r.DriftShare);
        w.WriteStartArray("features"u8);
        foreach (var f in r.Features)
        {
            w.WriteStartObject();
            w.WriteString("feature"u8, f.Feature);
            w.WriteBoolean("is_prediction"u8, f.IsPrediction);
            w.WriteString("kind"u8, f.Kind == FeatureKind.Numeric ? "numeric" : "categorical");
            w.WriteString("method"u8, f.Method);
            w.WriteNumber("score"u8, f.Score);
            w.WriteNumber("threshold"u8, f.Threshold);
            w.WriteBoolean("drifted"u8, f.Drifted);
            w.WriteNumber("current_count"u8, f.CurrentCount);
            w.WriteNumber("current_missing"u8, f.CurrentMissing);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static readonly JsonEncodedText EventsName = JsonEncodedText.Encode("events");

    public static void WriteThresholds(Utf8JsonWriter w, AlertThresholds t, IReadOnlyList<AlertState> states)
    {
        w.WriteStartObject("alert_thresholds"u8);
        w.WriteString("deployment"u8, t.Deployment);
        WriteOptional(w, "error_rate", t.ErrorRate);
        WriteOptional(w, "latency_p99_ms", t.LatencyP99Ms);
        WriteOptional(w, "drift_share", t.DriftShare);
        w.WriteNumber("updated_at"u8, t.UpdatedAtMs);
        if (t.UpdatedBy is not null)
        {
            w.WriteString("updated_by"u8, t.UpdatedBy);
        }

        w.WriteBoolean("drift_alerting"u8, t.DriftAlerting);
        w.WriteNumber("window_minutes"u8, t.WindowMinutes);
        w.WriteNumber("min_requests"u8, t.MinRequests);
        w.WriteStartArray("states"u8);
        foreach (var s in states)
        {
            w.WriteStartObject();
            w.WriteString("signal"u8, s.Signal);
            w.WriteString("name"u8, s.ModelName);
            w.WriteString("version"u8, s.ModelVersion);
            w.WriteBoolean("alerting"u8, s.Alerting);
            w.WriteNumber(AlertSignals.ValueField(s.Signal), s.Value);
            w.WriteNumber("threshold"u8, s.Threshold);
            w.WriteNumber("requests"u8, s.Requests);
            w.WriteNumber("changed_at"u8, s.ChangedAtMs);
            w.WriteNumber("evaluated_at"u8, s.EvaluatedAtMs);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }
}
