using System.Globalization;
using System.Text.Json;
using Strata.Core.Registry;
using Strata.Server.Tracking;

namespace Strata.Server.Registry;

/// <summary>Registry entities in MLflow's JSON form (spec §4): versions as strings, unset fields and empty arrays omitted.</summary>
public static class RegistryJson
{
    public static void WriteRegisteredModel(Utf8JsonWriter w, RegisteredModel m)
    {
        w.WriteStartObject();
        w.WriteString("name"u8, m.Name);
        w.WriteNumber("creation_timestamp"u8, m.CreationTimestamp);
        w.WriteNumber("last_updated_timestamp"u8, m.LastUpdatedTimestamp);
        WriteOptional(w, "user_id"u8, m.UserId);
        WriteOptional(w, "description"u8, m.Description);
        WriteModelVersions(w, "latest_versions"u8, m.LatestVersions);
        TrackingJson.WriteKeyValues(w, "tags"u8, m.Tags);
        if (m.Aliases.Count > 0)
        {
            w.WriteStartArray("aliases"u8);
            foreach (var alias in m.Aliases)
            {
                w.WriteStartObject();
                w.WriteString("alias"u8, alias.Alias);
                w.WriteString("version"u8, Version(alias.Version));
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        WriteOptional(w, "deployment_job_id"u8, m.DeploymentJobId);
        w.WriteEndObject();
    }

    public static void WriteModelVersion(Utf8JsonWriter w, ModelVersion v)
    {
        w.WriteStartObject();
        w.WriteString("name"u8, v.Name);
        w.WriteString("version"u8, Version(v.Version));
        w.WriteNumber("creation_timestamp"u8, v.CreationTimestamp);
        w.WriteNumber("last_updated_timestamp"u8, v.LastUpdatedTimestamp);
        WriteOptional(w, "user_id"u8, v.UserId);
        w.WriteString("current_stage"u8, v.CurrentStage);
        WriteOptional(w, "description"u8, v.Description);
        w.WriteString("source"u8, v.Source);
        WriteOptional(w, "run_id"u8, v.RunId);
        w.WriteString("status"u8, v.Status.ToString());
        WriteOptional(w, "status_message"u8, v.StatusMessage);
        TrackingJson.WriteKeyValues(w, "tags"u8, v.Tags);
        WriteOptional(w, "run_link"u8, v.RunLink);
        if (v.Aliases.Count > 0)
        {
            w.WriteStartArray("aliases"u8);
            foreach (var alias in v.Aliases)
            {
                w.WriteStringValue(alias);
            }

            w.WriteEndArray();
        }

        WriteOptional(w, "model_id"u8, v.ModelId);
        w.WriteEndObject();
    }

    public static void WriteModelVersions(Utf8JsonWriter w, ReadOnlySpan<byte> name, IReadOnlyList<ModelVersion> versions)
    {
        if (versions.Count == 0)
        {
            return;
        }

        w.WriteStartArray(name);
        foreach (var v in versions)
        {
            WriteModelVersion(w, v);
        }

        w.WriteEndArray();
    }

    public static void WriteLineage(Utf8JsonWriter w, ModelVersionLineage lineage)
    {
        w.WritePropertyName("model_version"u8);
        WriteModelVersion(w, lineage.ModelVersion);
        if (lineage.Run is not null)
        {
            w.WritePropertyName("run"u8);
            TrackingJson.WriteRun(w, lineage.Run);
        }

        if (lineage.Experiment is not null)
        {
            w.WritePropertyName("experiment"u8);
            TrackingJson.WriteExperiment(w, lineage.Experiment);
        }

        if (lineage.LoggedModel is not null)
        {
            w.WritePropertyName("logged_model"u8);
            TrackingJson.WriteLoggedModel(w, lineage.LoggedModel);
        }
    }

    public static void WriteEvent(Utf8JsonWriter w, RegistryEvent e)
    {
        w.WriteStartObject();
        w.WriteNumber("id"u8, e.Id);
        w.WriteNumber("timestamp"u8, e.Timestamp);
        WriteOptional(w, "user_id"u8, e.UserId);
        w.WriteString("event_type"u8, e.EventType);
        w.WriteString("name"u8, e.ModelName);
        if (e.Version is { } version)
        {
            w.WriteString("version"u8, Version(version));
        }

        if (e.Before is not null)
        {
            w.WritePropertyName("before"u8);
            w.WriteRawValue(e.Before, skipInputValidation: true);
        }

        if (e.After is not null)
        {
            w.WritePropertyName("after"u8);
            w.WriteRawValue(e.After, skipInputValidation: true);
        }

        w.WriteEndObject();
    }

    private static string Version(long version) => version.ToString(CultureInfo.InvariantCulture);

    private static void WriteOptional(Utf8JsonWriter w, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }
}
