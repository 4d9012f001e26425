using Strata.Core.Tracking;

namespace Strata.Core.Webhooks;

/// <summary>
/// Webhook subscriptions and their deliveries. Deliveries are made from the registry's event log (the outbox):
/// <see cref="EnqueueAsync"/> turns events past a stored cursor into one delivery per (subscription, event), unique,
/// in the same transaction that moves the cursor; <see cref="ClaimDueAsync"/> leases due deliveries so that one
/// process at a time attempts each, oldest first per subscription.
/// </summary>
public interface IWebhookStore
{
    Task<Webhook> CreateAsync(string name, string? description, string url, IReadOnlyList<WebhookEvent> events, string? secret, WebhookStatus status, long now, CancellationToken ct);

    Task<Webhook?> GetAsync(string id, CancellationToken ct);

    /// <summary>The webhook's secret, for signing (never returned over the API).</summary>
    Task<string?> GetSecretAsync(string id, CancellationToken ct);

    Task<Page<Webhook>> ListAsync(int maxResults, string? pageToken, CancellationToken ct);

    /// <summary>Applies the non-null fields; null when there is no such (undeleted) webhook.</summary>
    Task<Webhook?> UpdateAsync(string id, WebhookChanges changes, long now, CancellationToken ct);

    /// <summary>Soft delete; false when there is no such webhook. Its pending deliveries are never attempted.</summary>
    Task<bool> DeleteAsync(string id, long now, CancellationToken ct);

    /// <summary>Deliveries of one webhook, newest first, each with its attempts.</summary>
    Task<Page<DeliveryRecord>> ListDeliveriesAsync(string webhookId, int maxResults, string? pageToken, CancellationToken ct);

    /// <summary>Creates the deliveries of up to <paramref name="maxEvents"/> new events; returns how many events it read.</summary>
    Task<int> EnqueueAsync(int maxEvents, long now, CancellationToken ct);

    /// <summary>Leases up to <paramref name="max"/> due deliveries, at most one per subscription (its oldest pending one).</summary>
    Task<IReadOnlyList<DueDelivery>> ClaimDueAsync(long now, long leaseMs, int max, CancellationToken ct);

    /// <summary>Records an attempt; <paramref name="nextAttemptAt"/> null settles the delivery (succeeded or failed).</summary>
    Task RecordAttemptAsync(string deliveryId, DeliveryAttempt attempt, long now, long? nextAttemptAt, CancellationToken ct);
}

/// <summary>A delivery with every attempt made so far, oldest first.</summary>
public sealed record DeliveryRecord(WebhookDelivery Delivery, IReadOnlyList<DeliveryAttemptRecord> AttemptLog);

/// <summary>One recorded attempt.</summary>
public sealed record DeliveryAttemptRecord(int Attempt, long StartedAt, long DurationMs, int? StatusCode, string? Error);

/// <summary>Sends one signed delivery (the dispatcher's and <c>test_webhook</c>'s way out).</summary>
public interface IWebhookSender
{
    Task<DeliveryAttempt> SendAsync(string url, string deliveryId, string payload, string? secret, CancellationToken ct);
}
