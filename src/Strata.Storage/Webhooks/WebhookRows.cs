using Strata.Core.Registry;
using Strata.Core.Webhooks;

namespace Strata.Storage.Webhooks;

/// <summary>Row shapes Dapper fills (settable properties, so SQLite's and PostgreSQL's integer widths both map).</summary>
internal static class WebhookRows
{
    internal sealed class WebhookRow
    {
        public string Id { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string? Description { get; set; }
        public string Url { get; set; } = string.Empty;
        public string Status { get; set; } = string.Empty;
        public long CreationTimestamp { get; set; }
        public long LastUpdatedTimestamp { get; set; }
    }

    internal sealed class EventRow
    {
        public long Id { get; set; }
        public long Timestamp { get; set; }
        public string? UserId { get; set; }
        public string EventType { get; set; } = string.Empty;
        public string ModelName { get; set; } = string.Empty;
        public long? Version { get; set; }
        public string? Before { get; set; }
        public string? After { get; set; }

        public RegistryEvent ToEvent() => new(Id, Timestamp, UserId, EventType, ModelName, Version, Before, After);
    }

    internal sealed class DueRow
    {
        public string Id { get; set; } = string.Empty;
        public string WebhookId { get; set; } = string.Empty;
        public string Url { get; set; } = string.Empty;
        public string? Secret { get; set; }
        public int Attempts { get; set; }
        public string Payload { get; set; } = string.Empty;

        public DueDelivery ToDue() => new(Id, WebhookId, Url, Secret, Attempts, Payload);
    }

    internal sealed class DeliveryRow
    {
        public string Id { get; set; } = string.Empty;
        public string WebhookId { get; set; } = string.Empty;
        public long EventId { get; set; }
        public string Entity { get; set; } = string.Empty;
        public string Action { get; set; } = string.Empty;
        public string State { get; set; } = string.Empty;
        public int Attempts { get; set; }
        public long CreatedAt { get; set; }
        public long NextAttemptAt { get; set; }
        public long? LastAttemptAt { get; set; }
        public int? LastStatusCode { get; set; }
        public string? LastError { get; set; }
    }

    internal sealed class AttemptRow
    {
        public string DeliveryId { get; set; } = string.Empty;
        public int Attempt { get; set; }
        public long StartedAt { get; set; }
        public long DurationMs { get; set; }
        public int? StatusCode { get; set; }
        public string? Error { get; set; }
    }

    internal sealed class SubscriptionRow
    {
        public string WebhookId { get; set; } = string.Empty;
        public long FirstEventId { get; set; }
        public string Entity { get; set; } = string.Empty;
        public string Action { get; set; } = string.Empty;
    }

    internal sealed class WebhookEventRow
    {
        public string WebhookId { get; set; } = string.Empty;
        public string Entity { get; set; } = string.Empty;
        public string Action { get; set; } = string.Empty;
    }
}
