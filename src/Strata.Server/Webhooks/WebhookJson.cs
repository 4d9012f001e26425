using System.Text.Json;
using Strata.Core.Errors;
using Strata.Core.Tracking;
using Strata.Core.Webhooks;
using Strata.Server.Wire;

namespace Strata.Server.Webhooks;

/// <summary>MLflow 3.5's webhook messages (<c>webhooks.proto</c>) in and out; enums by proto name or number.</summary>
public static class WebhookJson
{
    private static readonly string[] EntityNumbers =
        ["ENTITY_UNSPECIFIED", "REGISTERED_MODEL", "MODEL_VERSION", "MODEL_VERSION_TAG", "MODEL_VERSION_ALIAS", "PROMPT", "PROMPT_VERSION", "PROMPT_TAG", "PROMPT_VERSION_TAG", "PROMPT_ALIAS"];

    private static readonly string[] ActionNumbers = ["ACTION_UNSPECIFIED", "CREATED", "UPDATED", "DELETED", "SET"];

    internal static WebhookChanges ReadChanges(WireRequest r) => new(
        r.String("name"),
        r.String("description"),
        r.String("url"),
        r.TryGetElement("events", out _) ? r.Objects("events", ReadEvent) : null,
        r.String("secret"),
        ReadStatus(r));

    internal static WebhookEvent? ReadOptionalEvent(WireRequest r) =>
        r.TryGetElement("event", out var e) ? ReadEvent(e, FieldPath.Root) : null;

    /// <summary>A webhook with all its events (Strata's routes, CLI and SDK).</summary>
    public static void WriteWebhook(Utf8JsonWriter w, Webhook h) => WriteWebhook(w, h, strataEvents: true);

    /// <summary>
    /// A webhook as MLflow's routes answer it: without Strata's own events, which MLflow's client cannot parse (an
    /// unknown enum would make <c>list_webhooks</c> fail for every webhook).
    /// </summary>
    public static void WriteMlflowWebhook(Utf8JsonWriter w, Webhook h) => WriteWebhook(w, h, strataEvents: false);

    private static void WriteWebhook(Utf8JsonWriter w, Webhook h, bool strataEvents)
    {
        w.WriteStartObject();
        w.WriteString("webhook_id"u8, h.Id);
        w.WriteString("name"u8, h.Name);
        if (h.Description is not null)
        {
            w.WriteString("description"u8, h.Description);
        }

        w.WriteString("url"u8, h.Url);
        w.WriteStartArray("events"u8);
        foreach (var e in h.Events)
        {
            if (e.IsStrata && !strataEvents)
            {
                continue;
            }

            w.WriteStartObject();
            w.WriteString("entity"u8, e.EntityName);
            w.WriteString("action"u8, e.ActionName);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString("status"u8, h.Status.ToString());
        w.WriteNumber("creation_timestamp"u8, h.CreationTimestamp);
        w.WriteNumber("last_updated_timestamp"u8, h.LastUpdatedTimestamp);
        w.WriteEndObject();
    }

    public static void WriteTestResult(Utf8JsonWriter w, WebhookTestResult result)
    {
        w.WriteStartObject("result"u8);
        w.WriteBoolean("success"u8, result.Success);
        if (result.ResponseStatus is { } status)
        {
            w.WriteNumber("response_status"u8, status);
        }

        if (result.ResponseBody is not null)
        {
            w.WriteString("response_body"u8, result.ResponseBody);
        }

        if (result.ErrorMessage is not null)
        {
            w.WriteString("error_message"u8, result.ErrorMessage);
        }

        w.WriteEndObject();
    }

    /// <summary>Strata's delivery log entry: the delivery, where it stands, and each attempt.</summary>
    public static void WriteDelivery(Utf8JsonWriter w, DeliveryRecord record)
    {
        var d = record.Delivery;
        w.WriteStartObject();
        w.WriteString("delivery_id"u8, d.Id);
        w.WriteString("webhook_id"u8, d.WebhookId);
        w.WriteNumber("event_id"u8, d.EventId);
        w.WriteString("event"u8, d.Event.ToString());
        w.WriteString("state"u8, d.State.ToString().ToUpperInvariant());
        w.WriteNumber("attempts"u8, d.Attempts);
        w.WriteNumber("created_at"u8, d.CreatedAt);
        if (d.State == DeliveryState.Pending)
        {
            w.WriteNumber("next_attempt_at"u8, d.NextAttemptAt);
        }

        w.WriteStartArray("attempt_log"u8);
        foreach (var a in record.AttemptLog)
        {
            w.WriteStartObject();
            w.WriteNumber("attempt"u8, a.Attempt);
            w.WriteNumber("started_at"u8, a.StartedAt);
            w.WriteNumber("duration_ms"u8, a.DurationMs);
            if (a.StatusCode is { } status)
            {
                w.WriteNumber("status_code"u8, status);
            }

            if (a.Error is not null)
            {
                w.WriteString("error"u8, a.Error);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static WebhookEvent ReadEvent(JsonElement e, FieldPath path)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw MlflowException.InvalidParameter($"Invalid value {e.GetRawText()} for an event in '{path}': expected an object with 'entity' and 'action'.");
        }

        return WebhookEvent.Parse(EnumName(e, "entity", EntityNumbers, path), EnumName(e, "action", ActionNumbers, path));
    }

    private static string? EnumName(JsonElement e, string field, string[] numbers, FieldPath path)
    {
        if (!e.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw MlflowException.MissingParameter(path.Field(field));
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n >= 0 && n < numbers.Length
            ? numbers[n]
            : WireValues.String(value, path, field);
    }

    private static WebhookStatus? ReadStatus(WireRequest r)
    {
        if (!r.TryGetElement("status", out var value))
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && Enum.IsDefined((WebhookStatus)n))
        {
            return (WebhookStatus)n;
        }

        return WireValues.String(value, "status") is { } name && Enum.TryParse<WebhookStatus>(name, ignoreCase: false, out var status) && Enum.IsDefined(status)
            ? status
            : throw MlflowException.InvalidParameter($"Invalid value {value.GetRawText()} for parameter 'status' supplied: expected ACTIVE or DISABLED.");
    }
}
