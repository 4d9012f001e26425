using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Strata.Core.Deployments;
using Strata.Core.Policies;
using Strata.Core.Registry;

namespace Strata.Core.Webhooks;

/// <summary>One event ready to deliver: what it is, and its <c>data</c> object as JSON.</summary>
public sealed record WebhookMessage(WebhookEvent Event, string Data);

/// <summary>
/// Turns registry events (the outbox) into MLflow 3.5's webhook events and payload shapes, and wraps a payload in
/// MLflow's envelope <c>{"entity", "action", "timestamp", "data"}</c>.
/// </summary>
public static class WebhookPayloads
{
    // Bodies are application/json for a receiver, never embedded in HTML: JSON's own escaping is enough.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private const string PromptTypeTag = "_mlflow_prompt_type";

    /// <summary>
    /// The webhook message for a registry event, or null for events MLflow sends none for (updates, deletes of models
    /// and versions, stage transitions, renames, tags of models that are not prompts). Whether a tag or alias event
    /// belongs to a prompt is read from the model (<paramref name="modelIsPrompt"/>), as MLflow does; creations carry
    /// their own tags.
    /// </summary>
    public static WebhookMessage? FromRegistryEvent(RegistryEvent e, bool modelIsPrompt)
    {
        var version = e.Version?.ToString(CultureInfo.InvariantCulture);
        switch (e.EventType)
        {
            case RegistryEventTypes.RegisteredModelCreated:
            {
                using var after = JsonDocument.Parse(e.After!);
                var tags = Tags(after.RootElement);
                var prompt = tags.ContainsKey(PromptTags.IsPrompt);
                if (prompt)
                {
                    tags.Remove(PromptTags.IsPrompt);
                    tags.Remove(PromptTypeTag);
                }

                return Message(prompt ? "prompt" : "registered_model", "created", w =>
                {
                    w.WriteString("name", e.ModelName);
                    WriteTags(w, tags);
                    WriteNullable(w, "description", Text(after.RootElement, "description"));
                });
            }

            case RegistryEventTypes.ModelVersionCreated:
            {
                using var after = JsonDocument.Parse(e.After!);
                var root = after.RootElement;
                var tags = Tags(root);
                if (tags.ContainsKey(PromptTags.IsPrompt))
                {
                    tags.Remove(PromptTags.Text, out var template);
                    tags.Remove(PromptTags.IsPrompt);
                    tags.Remove(PromptTypeTag);
                    return Message("prompt_version", "created", w =>
                    {
                        w.WriteString("name", e.ModelName);
                        w.WriteString("version", version);
                        WriteNullable(w, "template", template);
                        WriteTags(w, tags);
                        WriteNullable(w, "description", Text(root, "description"));
                    });
                }

                return Message("model_version", "created", w =>
                {
                    w.WriteString("name", e.ModelName);
                    w.WriteString("version", version);
                    w.WriteString("source", Text(root, "source") ?? string.Empty);
                    WriteNullable(w, "run_id", Text(root, "run_id"));
                    WriteTags(w, tags);
                    WriteNullable(w, "description", Text(root, "description"));
                });
            }

            case RegistryEventTypes.ModelVersionTagSet:
                return TagMessage(modelIsPrompt ? "prompt_version_tag" : "model_version_tag", "set", e, version, e.After!, withValue: true);
            case RegistryEventTypes.ModelVersionTagDeleted:
                return TagMessage(modelIsPrompt ? "prompt_version_tag" : "model_version_tag", "deleted", e, version, e.Before!, withValue: false);
            case RegistryEventTypes.RegisteredModelTagSet when modelIsPrompt:
                return TagMessage("prompt_tag", "set", e, null, e.After!, withValue: true);
            case RegistryEventTypes.RegisteredModelTagDeleted when modelIsPrompt:
                return TagMessage("prompt_tag", "deleted", e, null, e.Before!, withValue: false);
            case RegistryEventTypes.AliasSet:
                return AliasMessage(modelIsPrompt ? "prompt_alias" : "model_version_alias", "created", e, e.After!, withVersion: true);
            case RegistryEventTypes.AliasDeleted:
                return AliasMessage(modelIsPrompt ? "prompt_alias" : "model_version_alias", "deleted", e, e.Before!, withVersion: false);
            default:
                return StrataMessage(e);
        }
    }

    /// <summary>
    /// Strata's own events: the payload is the event's <c>after_json</c> as written with the change. Deployment
    /// changes map to <c>deployment.*</c> (a rollback is an update); monitoring's threshold crossings
    /// (<c>deployment.&lt;metric&gt;.exceeded|recovered</c>) to <c>alert.fired|resolved</c>, with <c>alert</c> naming the
    /// metric when the payload does not already; <c>job.finished</c> and <c>policy.decided</c> keep their names.
    /// </summary>
    private static WebhookMessage? StrataMessage(RegistryEvent e)
    {
        var type = e.EventType;
        var fired = AlertName(type, ".exceeded");
        var resolved = AlertName(type, ".recovered");
        var alert = fired ?? resolved;
        WebhookEvent? evt = type switch
        {
            DeploymentEvents.Created => new WebhookEvent("deployment", "created"),
            DeploymentEvents.Updated or DeploymentEvents.RolledBack => new WebhookEvent("deployment", "updated"),
            DeploymentEvents.Deleted => new WebhookEvent("deployment", "deleted"),
            StrataEventTypes.JobFinished => new WebhookEvent("job", "finished"),
            PolicyEventTypes.Decided => new WebhookEvent("policy", "decided"),
            _ when fired is not null => new WebhookEvent("alert", "fired"),
            _ when resolved is not null => new WebhookEvent("alert", "resolved"),
            _ => null,
        };
        if (evt is null || string.IsNullOrEmpty(e.After))
        {
            return null;
        }

        JsonDocument after;
        try
        {
            after = JsonDocument.Parse(e.After);
        }
        catch (JsonException)
        {
            // Delivering a body that is not JSON would break every receiver's parser; such a row is skipped.
            return null;
        }

        using (after)
        {
            if (after.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (alert is null || after.RootElement.TryGetProperty("alert", out _))
            {
                return new WebhookMessage(evt, after.RootElement.GetRawText());
            }

            return new WebhookMessage(evt, Json(w =>
            {
                w.WriteString("alert", alert);
                foreach (var property in after.RootElement.EnumerateObject())
                {
                    property.WriteTo(w);
                }
            }));
        }
    }

    /// <summary><c>drift_share</c> for <c>deployment.drift_share.exceeded</c>; null when the type is not such a crossing.</summary>
    private static string? AlertName(string type, string suffix) =>
        type.StartsWith("deployment.", StringComparison.Ordinal) && type.EndsWith(suffix, StringComparison.Ordinal) && type.Length > "deployment.".Length + suffix.Length
            ? type["deployment.".Length..^suffix.Length]
            : null;

    /// <summary>MLflow's example payload for an event, which <c>test_webhook</c> sends.</summary>
    public static WebhookMessage Example(WebhookEvent evt)
    {
        var prompt = evt.Entity.StartsWith("prompt", StringComparison.Ordinal);
        var name = prompt ? "example_prompt" : "example_model";
        return new WebhookMessage(evt, Json(w =>
        {
            w.WriteString(evt.Entity == "policy" ? "decision_id" : "name", evt.Entity == "policy" ? "example_decision" : evt.Entity == "deployment" ? "example_deployment" : name);
            switch (evt.Entity)
            {
                case "registered_model" or "prompt":
                    WriteTags(w, new Dictionary<string, string> { ["example_key"] = "example_value" });
                    w.WriteString("description", prompt ? "An example prompt" : "An example registered model");
                    break;
                case "model_version":
                    w.WriteString("version", "1");
                    w.WriteString("source", "models:/123");
                    w.WriteString("run_id", "abcd1234abcd5678");
                    WriteTags(w, new Dictionary<string, string> { ["example_key"] = "example_value" });
                    w.WriteString("description", "An example model version");
                    break;
                case "prompt_version":
                    w.WriteString("version", "1");
                    w.WriteString("template", "Hello {{name}}!");
                    WriteTags(w, new Dictionary<string, string> { ["example_key"] = "example_value" });
                    w.WriteString("description", "An example prompt version");
                    break;
                case "model_version_tag" or "prompt_version_tag" or "prompt_tag":
                    if (evt.Entity != "prompt_tag")
                    {
                        w.WriteString("version", "1");
                    }

                    w.WriteString("key", "example_key");
                    if (evt.Action == "set")
                    {
                        w.WriteString("value", "example_value");
                    }

                    break;
                case "model_version_alias" or "prompt_alias":
                    w.WriteString("alias", "example_alias");
                    if (evt.Action == "created")
                    {
                        w.WriteString("version", "1");
                    }

                    break;
                case "deployment":
                    w.WriteNumber("revision", 2);
                    w.WriteNull("user");
                    w.WriteStartArray("route");
                    w.WriteStartObject();
                    w.WriteString("model_name", "example_model");
                    w.WriteString("alias", "champion");
                    w.WriteNumber("weight", 100);
                    w.WriteEndObject();
                    w.WriteEndArray();
                    break;
                case "alert":
                    w.WriteString("alert", "drift_share");
                    w.WriteString("deployment", "example_deployment");
                    w.WriteString("model_name", "example_model");
                    w.WriteString("version", "1");
                    w.WriteNumber("drift_share", evt.Action == "fired" ? 0.6 : 0.1);
                    w.WriteNumber("threshold", 0.5);
                    break;
                case "job":
                    w.WriteString("job_id", "example_job");
                    w.WriteString("status", "SUCCEEDED");
                    w.WriteNumber("exit_code", 0);
                    break;
                case "policy":
                    w.WriteString("policy_name", "example_policy");
                    w.WriteString("model_name", "example_model");
                    w.WriteString("version", "2");
                    w.WriteString("status", "PROMOTED");
                    w.WriteStartArray("reasons");
                    w.WriteStringValue("val_rmse of version 2 is 0.5 against 0.52 for @champion (version 1): 3.85 % better");
                    w.WriteEndArray();
                    break;
            }
        }));
    }

    /// <summary>The body MLflow posts: the event, when it happened (ISO 8601, UTC) and the payload.</summary>
    public static string Envelope(WebhookEvent evt, DateTimeOffset time, string data)
    {
        var buffer = new ArrayBufferWriter<byte>(data.Length + 128);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("entity", evt.Entity);
            w.WriteString("action", evt.Action);
            w.WriteString("timestamp", time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture));
            w.WritePropertyName("data");
            w.WriteRawValue(data, skipInputValidation: true);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static WebhookMessage TagMessage(string entity, string action, RegistryEvent e, string? version, string tagJson, bool withValue)
    {
        using var tag = JsonDocument.Parse(tagJson);
        return Message(entity, action, w =>
        {
            w.WriteString("name", e.ModelName);
            if (version is not null)
            {
                w.WriteString("version", version);
            }

            w.WriteString("key", Text(tag.RootElement, "key"));
            if (withValue)
            {
                w.WriteString("value", Text(tag.RootElement, "value"));
            }
        });
    }

    private static WebhookMessage AliasMessage(string entity, string action, RegistryEvent e, string aliasJson, bool withVersion)
    {
        using var alias = JsonDocument.Parse(aliasJson);
        return Message(entity, action, w =>
        {
            w.WriteString("name", e.ModelName);
            w.WriteString("alias", Text(alias.RootElement, "alias"));
            if (withVersion)
            {
                w.WriteString("version", Text(alias.RootElement, "version"));
            }
        });
    }

    private static WebhookMessage Message(string entity, string action, Action<Utf8JsonWriter> write) =>
        new(new WebhookEvent(entity, action), Json(write));

    private static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static Dictionary<string, string> Tags(JsonElement snapshot)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (snapshot.TryGetProperty("tags", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var t in list.EnumerateArray())
            {
                tags[Text(t, "key") ?? string.Empty] = Text(t, "value") ?? string.Empty;
            }
        }

        return tags;
    }

    private static void WriteTags(Utf8JsonWriter w, Dictionary<string, string> tags)
    {
        w.WriteStartObject("tags");
        foreach (var (key, value) in tags)
        {
            w.WriteString(key, value);
        }

        w.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
