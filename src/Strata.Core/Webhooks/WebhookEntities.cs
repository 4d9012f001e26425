namespace Strata.Core.Webhooks;

/// <summary>A subscription: events of the listed kinds are POSTed to <see cref="Url"/>. The secret is never part of it.</summary>
public sealed record Webhook(
    string Id,
    string Name,
    string? Description,
    string Url,
    IReadOnlyList<WebhookEvent> Events,
    WebhookStatus Status,
    long CreationTimestamp,
    long LastUpdatedTimestamp);

/// <summary>MLflow's webhook status (proto enum names on the wire).</summary>
public enum WebhookStatus
{
    ACTIVE = 1,
    DISABLED = 2,
}

/// <summary>The fields of a webhook to create, or of an update (null: unchanged).</summary>
public sealed record WebhookChanges(
    string? Name,
    string? Description,
    string? Url,
    IReadOnlyList<WebhookEvent>? Events,
    string? Secret,
    WebhookStatus? Status);

/// <summary>What a webhook's test call saw (MLflow's <c>WebhookTestResult</c>).</summary>
public sealed record WebhookTestResult(bool Success, int? ResponseStatus, string? ResponseBody, string? ErrorMessage);

/// <summary>Where a delivery stands.</summary>
public enum DeliveryState
{
    Pending,
    Succeeded,
    Failed,
}

/// <summary>
/// One event for one subscription: its id is the <c>X-MLflow-Delivery-Id</c> every attempt carries, and its payload
/// the exact body every attempt sends, so a receiver can dedupe and verify any of them.
/// </summary>
public sealed record WebhookDelivery(
    string Id,
    string WebhookId,
    long EventId,
    WebhookEvent Event,
    DeliveryState State,
    int Attempts,
    long CreatedAt,
    long NextAttemptAt,
    long? LastAttemptAt,
    int? LastStatusCode,
    string? LastError);

/// <summary>A delivery claimed for an attempt, with what the attempt needs.</summary>
public sealed record DueDelivery(string Id, string WebhookId, string Url, string? Secret, int Attempts, string Payload);

/// <summary>How one attempt ended: the receiver's status and (the start of) its body, or, when no response came, the error.</summary>
public sealed record DeliveryAttempt(int? StatusCode, string? ResponseBody, string? Error, long DurationMs)
{
    /// <summary>2xx: delivered.</summary>
    public bool Delivered => StatusCode is >= 200 and < 300;

    /// <summary>5xx, 429 and failures to get a response are worth another try; other 4xx are not.</summary>
    public bool Retryable => StatusCode is null or >= 500 or 429;
}
