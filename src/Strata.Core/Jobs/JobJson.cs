using System.Text.Json;

namespace Strata.Core.Jobs;

/// <summary>
/// The one JSON form of a job and an execution: the REST answers, the SDK and the CLI all use it. Optional fields are
/// left out when unset; times are milliseconds since the epoch.
/// </summary>
public static class JobJson
{
    public static void WriteJob(Utf8JsonWriter w, Job job)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(job);
        var s = job.Spec;
        w.WriteStartObject();
        w.WriteString("job_id"u8, job.Id);
        w.WriteString("name"u8, job.Name);
        if (s.Description is not null)
        {
            w.WriteString("description"u8, s.Description);
        }

        w.WriteString("command"u8, s.Command);
        w.WriteStartArray("args"u8);
        foreach (var a in s.Args)
        {
            w.WriteStringValue(a);
        }

        w.WriteEndArray();
        w.WriteStartObject("env"u8);
        foreach (var (k, v) in s.Env)
        {
            w.WriteString(k, v);
        }

        w.WriteEndObject();
        WriteOptional(w, "working_dir", s.WorkingDir);
        if (s.TimeoutMs is { } timeout)
        {
            w.WriteNumber("timeout_seconds"u8, timeout / 1000);
        }

        w.WriteString("experiment_id"u8, s.ExperimentId);
        WriteOptional(w, "schedule", s.Schedule);
        WriteOptional(w, "timezone", s.TimeZone);
        w.WriteStartArray("event_types"u8);
        foreach (var t in s.EventTypes)
        {
            w.WriteStringValue(t);
        }

        w.WriteEndArray();
        WriteOptional(w, "event_model_name", s.EventModelName);
        w.WriteBoolean("enabled"u8, s.Enabled);
        w.WriteString("runner"u8, s.Runner);
        if (s.Kubernetes is { } kubernetes)
        {
            w.WritePropertyName("kubernetes"u8);
            WriteKubernetes(w, kubernetes);
        }

        w.WriteString("concurrency_policy"u8, s.ConcurrencyPolicy);
        WriteOptional(w, "max_concurrent", s.MaxConcurrent);
        w.WriteNumber("creation_timestamp"u8, job.CreationTimestamp);
        w.WriteNumber("last_updated_timestamp"u8, job.LastUpdatedTimestamp);
        WriteOptional(w, "next_scheduled_time", job.NextScheduledAt);

        w.WriteEndObject();
    }

    /// <summary>The <c>kubernetes</c> object of a job (also the request form): unset fields are left out.</summary>
    public static void WriteKubernetes(Utf8JsonWriter w, KubernetesJobSpec k)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(k);
        w.WriteStartObject();
        WriteOptional(w, "image", k.Image);
        WriteOptional(w, "namespace", k.Namespace);
        WriteOptional(w, "service_account", k.ServiceAccount);
        if (k.Requests is not null || k.Limits is not null)
        {
            w.WriteStartObject("resources"u8);
            WriteQuantities(w, "requests", k.Requests);
            WriteQuantities(w, "limits", k.Limits);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void WriteQuantities(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, string>? quantities)
    {
        if (quantities is null)
        {
            return;
        }

        w.WriteStartObject(name);
        foreach (var (k, v) in quantities)
        {
            w.WriteString(k, v);
        }

        w.WriteEndObject();
    }

    /// <summary>Reads the <c>kubernetes</c> object; a field of the wrong type is an error naming it.</summary>
    public static KubernetesJobSpec ReadKubernetes(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw Errors.MlflowException.InvalidParameter("Invalid value for parameter 'kubernetes': expected a JSON object with image, namespace, service_account and resources.");
        }

        string? Text(string name) => !e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
            : v.ValueKind == JsonValueKind.String ? v.GetString()
            : throw Errors.MlflowException.InvalidParameter($"Invalid value for parameter 'kubernetes.{name}': expected a string.");

        Dictionary<string, string>? requests = null, limits = null;
        if (e.TryGetProperty("resources", out var resources) && resources.ValueKind != JsonValueKind.Null)
        {
            if (resources.ValueKind != JsonValueKind.Object)
            {
                throw Errors.MlflowException.InvalidParameter("Invalid value for parameter 'kubernetes.resources': expected an object with requests and limits.");
            }

            requests = Quantities(resources, "requests");
            limits = Quantities(resources, "limits");
        }

        return new KubernetesJobSpec(Text("image"), Text("namespace"), Text("service_account"), requests, limits);
    }

    private static Dictionary<string, string>? Quantities(JsonElement resources, string name)
    {
        if (!resources.TryGetProperty(name, out var q) || q.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (q.ValueKind != JsonValueKind.Object)
        {
            throw Errors.MlflowException.InvalidParameter($"Invalid value for parameter 'kubernetes.resources.{name}': expected an object such as {{\"cpu\": \"500m\", \"memory\": \"1Gi\"}}.");
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in q.EnumerateObject())
        {
            result[p.Name] = p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString()!,
                JsonValueKind.Number => p.Value.GetRawText(),
                _ => throw Errors.MlflowException.InvalidParameter($"Invalid value for parameter 'kubernetes.resources.{name}.{p.Name}': expected a quantity string."),
            };
        }

        return result;
    }

    public static void WriteExecution(Utf8JsonWriter w, JobExecution e)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(e);
        w.WriteStartObject();
        w.WriteString("execution_id"u8, e.Id);
        w.WriteString("job_id"u8, e.JobId);
        w.WriteString("job_name"u8, e.JobName);
        w.WriteString("trigger"u8, e.Trigger);
        w.WriteString("status"u8, e.Status);
        WriteOptional(w, "scheduled_time", e.ScheduledAt);
        WriteOptional(w, "event_id", e.EventId);
        WriteOptional(w, "event_type", e.EventType);
        WriteOptional(w, "run_id", e.RunId);
        WriteOptional(w, "replica", e.Replica);
        w.WriteNumber("creation_time"u8, e.CreatedAt);
        WriteOptional(w, "start_time", e.StartedAt);
        WriteOptional(w, "end_time", e.EndedAt);
        if (e.StartedAt is { } start && e.EndedAt is { } end)
        {
            w.WriteNumber("duration_ms"u8, end - start);
        }

        if (e.ExitCode is { } code)
        {
            w.WriteNumber("exit_code"u8, code);
        }

        w.WriteBoolean("cancel_requested"u8, e.CancelRequested);
        WriteOptional(w, "error", e.Error);
        w.WriteEndObject();
    }

    public static Job ReadJob(JsonElement e)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (e.TryGetProperty("env", out var envElement) && envElement.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in envElement.EnumerateObject())
            {
                env[p.Name] = p.Value.GetString() ?? string.Empty;
            }
        }

        var spec = new JobSpec(
            e.GetProperty("command").GetString()!,
            Strings(e, "args"),
            env,
            String(e, "working_dir"),
            e.TryGetProperty("timeout_seconds", out var t) ? t.GetInt64() * 1000 : null,
            e.GetProperty("experiment_id").GetString()!,
            String(e, "schedule"),
            String(e, "timezone"),
            Strings(e, "event_types"),
            String(e, "event_model_name"),
            !e.TryGetProperty("enabled", out var enabled) || enabled.GetBoolean(),
            String(e, "description"),
            String(e, "runner") ?? JobRunners.Local,
            e.TryGetProperty("kubernetes", out var k) ? ReadKubernetes(k) : null,
            String(e, "concurrency_policy") ?? JobConcurrencyPolicies.Forbid,
            Long(e, "max_concurrent") is { } max ? (int)max : null);
        return new Job(
            e.GetProperty("job_id").GetString()!, e.GetProperty("name").GetString()!, spec,
            e.GetProperty("creation_timestamp").GetInt64(), e.GetProperty("last_updated_timestamp").GetInt64(), 0, Long(e, "next_scheduled_time"));
    }

    public static JobExecution ReadExecution(JsonElement e) => new(
        e.GetProperty("execution_id").GetString()!,
        e.GetProperty("job_id").GetString()!,
        e.GetProperty("job_name").GetString()!,
        e.GetProperty("trigger").GetString()!,
        Long(e, "scheduled_time"),
        Long(e, "event_id"),
        String(e, "event_type"),
        e.GetProperty("status").GetString()!,
        String(e, "run_id"),
        String(e, "replica"),
        e.GetProperty("creation_time").GetInt64(),
        Long(e, "start_time"),
        Long(e, "end_time"),
        e.TryGetProperty("exit_code", out var code) ? code.GetInt32() : null,
        e.TryGetProperty("cancel_requested", out var c) && c.GetBoolean(),
        String(e, "error"));

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;

    private static List<string> Strings(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(x => x.GetString() ?? string.Empty).ToList() : [];
}
