using System.Globalization;
using System.Text.Json;
using Strata.Core.Errors;

namespace Strata.Core.Deployments;

/// <summary>
/// The one JSON form of a deployment spec, revision and deployment: the REST wire, the SDK and the
/// <c>deployment_revisions.spec</c> column all use it, so a revision reads back exactly as it was written.
/// Reading checks shapes and types and names the offending field (<c>route[1].weight</c>); the rules across fields
/// live in <see cref="DeploymentValidation"/>.
/// </summary>
public static class DeploymentJson
{
    public static void WriteSpecMembers(Utf8JsonWriter w, DeploymentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(spec);
        w.WriteStartArray("route"u8);
        foreach (var target in spec.Route)
        {
            w.WriteStartObject();
            WriteTargetMembers(w, target.Model);
            w.WriteNumber("weight"u8, target.Weight);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (spec.Shadow is not null)
        {
            w.WriteStartObject("shadow"u8);
            WriteTargetMembers(w, spec.Shadow);
            w.WriteEndObject();
        }

        if (spec.StickyKey is not null)
        {
            w.WriteStartObject("sticky_key"u8);
            w.WriteString(spec.StickyKey.Source == StickyKeySource.Header ? "header"u8 : "column"u8, spec.StickyKey.Name);
            w.WriteEndObject();
        }

        var s = spec.Settings;
        if (s is not null && s != DeploymentSettings.Default)
        {
            w.WriteStartObject("settings"u8);
            if (s.EnableBatching is { } batching)
            {
                w.WriteBoolean("enable_batching"u8, batching);
            }

            if (s.MaxBatchSize is { } size)
            {
                w.WriteNumber("max_batch_size"u8, size);
            }

            if (s.MaxBatchDelayMs is { } delay)
            {
                w.WriteNumber("max_batch_delay_ms"u8, delay);
            }

            if (s.LogSampleRate is { } rate)
            {
                w.WriteNumber("log_sample_rate"u8, rate);
            }

            if (s.TimeoutSeconds is { } timeout)
            {
                w.WriteNumber("timeout_seconds"u8, timeout);
            }

            w.WriteEndObject();
        }

        if (spec.Description is not null)
        {
            w.WriteString("description"u8, spec.Description);
        }
    }

    public static void WriteRevision(Utf8JsonWriter w, DeploymentRevision revision)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(revision);
        w.WriteStartObject();
        w.WriteString("deployment_name"u8, revision.DeploymentName);
        w.WriteNumber("revision"u8, revision.Revision);
        w.WriteNumber("creation_timestamp"u8, revision.CreationTimestamp);
        if (revision.CreatedBy is not null)
        {
            w.WriteString("created_by"u8, revision.CreatedBy);
        }

        if (revision.RolledBackFrom is { } from)
        {
            w.WriteNumber("rolled_back_from"u8, from);
        }

        WriteSpecMembers(w, revision.Spec);
        w.WriteEndObject();
    }

    public static void WriteDeployment(Utf8JsonWriter w, Deployment deployment)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(deployment);
        w.WriteStartObject();
        w.WriteString("name"u8, deployment.Name);
        w.WriteNumber("creation_timestamp"u8, deployment.CreationTimestamp);
        w.WriteNumber("last_updated_timestamp"u8, deployment.LastUpdatedTimestamp);
        w.WriteNumber("current_revision"u8, deployment.CurrentRevision);
        w.WritePropertyName("revision"u8);
        WriteRevision(w, deployment.Current);
        w.WriteEndObject();
    }

    /// <summary>The spec as stored in a revision row.</summary>
    public static string SerializeSpec(DeploymentSpec spec)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            WriteSpecMembers(w, spec);
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static DeploymentSpec DeserializeSpec(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return ReadSpec(doc.RootElement);
    }

    /// <summary>Reads the spec members of <paramref name="e"/> (a request body or a stored revision).</summary>
    public static DeploymentSpec ReadSpec(JsonElement e) =>
        ReadSpec(name => e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null);

    /// <summary>Reads the spec from the members <paramref name="member"/> finds (null: absent).</summary>
    public static DeploymentSpec ReadSpec(Func<string, JsonElement?> member)
    {
        ArgumentNullException.ThrowIfNull(member);
        if (member("route") is not { } route)
        {
            throw MlflowException.MissingParameter("route");
        }

        if (route.ValueKind != JsonValueKind.Array)
        {
            throw MlflowException.InvalidParameter("Parameter 'route' must be a list of {model_name, version or alias, weight}.");
        }

        var targets = new List<RouteTarget>();
        var i = 0;
        foreach (var item in route.EnumerateArray())
        {
            var path = $"route[{i++}]";
            var model = ReadTarget(item, path);
            double weight;
            if (!item.TryGetProperty("weight", out var w) || w.ValueKind == JsonValueKind.Null)
            {
                // A route of one version needs no weight.
                weight = route.GetArrayLength() == 1 ? 100 : throw MlflowException.MissingParameter(path + ".weight");
            }
            else
            {
                weight = Number(w, path + ".weight");
            }

            targets.Add(new RouteTarget(model, weight));
        }

        ModelTarget? shadow = member("shadow") is { } sh ? ReadTarget(sh, "shadow") : null;
        StickyKey? sticky = null;
        if (member("sticky_key") is { } sk)
        {
            if (sk.ValueKind != JsonValueKind.Object)
            {
                throw MlflowException.InvalidParameter("Parameter 'sticky_key' must be {\"header\": NAME} or {\"column\": NAME}.");
            }

            var header = OptionalString(sk, "header", "sticky_key.header");
            var column = OptionalString(sk, "column", "sticky_key.column");
            if ((header is null) == (column is null))
            {
                throw MlflowException.InvalidParameter("Parameter 'sticky_key' must name exactly one of 'header' or 'column'.");
            }

            sticky = header is not null ? new StickyKey(StickyKeySource.Header, header) : new StickyKey(StickyKeySource.Column, column!);
        }

        DeploymentSettings? settings = null;
        if (member("settings") is { } st)
        {
            if (st.ValueKind != JsonValueKind.Object)
            {
                throw MlflowException.InvalidParameter("Parameter 'settings' must be an object.");
            }

            settings = new DeploymentSettings
            {
                EnableBatching = st.TryGetProperty("enable_batching", out var b) && b.ValueKind != JsonValueKind.Null
                    ? b.ValueKind is JsonValueKind.True or JsonValueKind.False ? b.GetBoolean() : throw MlflowException.InvalidParameter("Parameter 'settings.enable_batching' must be a boolean.")
                    : null,
                MaxBatchSize = OptionalNumber(st, "max_batch_size", "settings.max_batch_size") is { } size ? Integer(size, "settings.max_batch_size") : null,
                MaxBatchDelayMs = OptionalNumber(st, "max_batch_delay_ms", "settings.max_batch_delay_ms") is { } delay ? Integer(delay, "settings.max_batch_delay_ms") : null,
                LogSampleRate = OptionalNumber(st, "log_sample_rate", "settings.log_sample_rate"),
                TimeoutSeconds = OptionalNumber(st, "timeout_seconds", "settings.timeout_seconds"),
            };
        }

        string? description = null;
        if (member("description") is { } d)
        {
            description = d.ValueKind == JsonValueKind.String ? d.GetString() : throw MlflowException.InvalidParameter("Parameter 'description' must be a string.");
        }

        return new DeploymentSpec(targets, shadow, sticky, settings, description);
    }

    public static DeploymentRevision ReadRevision(JsonElement e) => new(
        e.GetProperty("deployment_name").GetString()!,
        e.GetProperty("revision").GetInt64(),
        ReadSpec(e),
        e.GetProperty("creation_timestamp").GetInt64(),
        e.TryGetProperty("created_by", out var by) ? by.GetString() : null,
        e.TryGetProperty("rolled_back_from", out var from) ? from.GetInt64() : null);

    public static Deployment ReadDeployment(JsonElement e) => new(
        e.GetProperty("name").GetString()!,
        e.GetProperty("creation_timestamp").GetInt64(),
        e.GetProperty("last_updated_timestamp").GetInt64(),
        ReadRevision(e.GetProperty("revision")));

    private static void WriteTargetMembers(Utf8JsonWriter w, ModelTarget target)
    {
        w.WriteString("model_name"u8, target.ModelName);
        if (target.Alias is not null)
        {
            w.WriteString("alias"u8, target.Alias);
        }
        else
        {
            w.WriteString("version"u8, target.Version!.Value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static ModelTarget ReadTarget(JsonElement e, string path)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw MlflowException.InvalidParameter($"Parameter '{path}' must be an object with model_name and a version or an alias.");
        }

        var name = OptionalString(e, "model_name", path + ".model_name") ?? throw MlflowException.MissingParameter(path + ".model_name");
        var alias = OptionalString(e, "alias", path + ".alias");
        long? version = null;
        if (e.TryGetProperty("version", out var v) && v.ValueKind != JsonValueKind.Null)
        {
            var text = v.ValueKind == JsonValueKind.Number ? v.GetRawText() : v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            version = long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw MlflowException.InvalidParameter($"Parameter '{path}.version' must be a positive integer, got {v.GetRawText()}.");
        }

        if ((alias is null) == (version is null))
        {
            throw MlflowException.InvalidParameter($"Parameter '{path}' must give exactly one of 'version' or 'alias'.");
        }

        return new ModelTarget(name, version, alias);
    }

    private static string? OptionalString(JsonElement e, string name, string path)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : throw MlflowException.InvalidParameter($"Parameter '{path}' must be a string, got {v.ValueKind}.");
    }

    private static double? OptionalNumber(JsonElement e, string name, string path) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? Number(v, path) : null;

    private static double Number(JsonElement v, string path)
    {
        if (v.ValueKind == JsonValueKind.Number)
        {
            return v.GetDouble();
        }

        if (v.ValueKind == JsonValueKind.String && double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }

        throw MlflowException.InvalidParameter($"Parameter '{path}' must be a number, got {v.GetRawText()}.");
    }

    private static int Integer(double value, string path) =>
        value == Math.Floor(value) && value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw MlflowException.InvalidParameter($"Parameter '{path}' must be an integer, got {value.ToString(CultureInfo.InvariantCulture)}.");
}
