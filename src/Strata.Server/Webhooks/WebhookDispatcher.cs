using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Core.Webhooks;
using Strata.Server.Hosting;

namespace Strata.Server.Webhooks;

/// <summary>
/// Delivers webhooks from the registry's event log, at least once, across restarts and replicas: each round turns new
/// events into stored deliveries, claims the due ones (a lease, so one process attempts each at a time) and sends
/// them, one per webhook at a time in event order. A change never waits for this: it only reads what was committed.
/// </summary>
internal sealed partial class WebhookDispatcher(
    IWebhookStore store, IWebhookSender sender, IOptions<StrataServerOptions> options, TimeProvider time, ILogger<WebhookDispatcher> logger) : BackgroundService
{
    private const int EventsPerRound = 500;
    private const int DeliveriesPerRound = 64;

    private readonly WebhooksOptions _settings = options.Value.Webhooks;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_settings.PollInterval, time);
        try
        {
            do
            {
                try
                {
                    await RunRoundAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogRoundFailed(logger, e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping (or disposed without a stop): not a failure of the service.
        }
    }

    /// <summary>One round: enqueue every new event, then attempt what is due until nothing is.</summary>
    internal async Task RunRoundAsync(CancellationToken ct)
    {
        while (await store.EnqueueAsync(EventsPerRound, Now(), ct).ConfigureAwait(false) == EventsPerRound)
        {
        }

        IReadOnlyList<DueDelivery> due;
        do
        {
            due = await store.ClaimDueAsync(Now(), (long)_settings.Lease.TotalMilliseconds, DeliveriesPerRound, ct).ConfigureAwait(false);
            await Task.WhenAll(due.Select(d => AttemptAsync(d, ct))).ConfigureAwait(false);
        }
        while (due.Count == DeliveriesPerRound);
    }

    private async Task AttemptAsync(DueDelivery delivery, CancellationToken ct)
    {
        var attempt = await sender.SendAsync(delivery.Url, delivery.Id, delivery.Payload, delivery.Secret, ct).ConfigureAwait(false);
        var attempts = delivery.Attempts + 1;
        long? next = null;
        if (!attempt.Delivered && attempt.Retryable && attempts < _settings.MaxAttempts)
        {
            next = Now() + (long)_settings.RetryDelay(attempts, Random.Shared.NextDouble()).TotalMilliseconds;
        }

        if (!attempt.Delivered)
        {
            LogAttemptFailed(logger, delivery.Id, delivery.WebhookId, attempts, attempt.StatusCode, attempt.Error, next is not null);
        }

        // The record is written even when stopping: the attempt happened, and losing it would only cause a resend.
        await store.RecordAttemptAsync(delivery.Id, attempt, Now(), next, CancellationToken.None).ConfigureAwait(false);
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook dispatch round failed")]
    private static partial void LogRoundFailed(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook delivery {DeliveryId} to webhook {WebhookId}: attempt {Attempt} failed (status {Status}, {Error}); retry: {Retry}")]
    private static partial void LogAttemptFailed(ILogger logger, string deliveryId, string webhookId, int attempt, int? status, string? error, bool retry);
}
