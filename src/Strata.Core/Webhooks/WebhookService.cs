using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Core.Webhooks;

/// <summary>The webhook API's rules (MLflow 3.5's): validation, not-found errors, and the test call.</summary>
public sealed class WebhookService(IWebhookStore store, IWebhookSender sender, WebhookAddressPolicy policy, TimeProvider time)
{
    public IWebhookStore Store => store;

    public Task<Webhook> CreateAsync(WebhookChanges request, CancellationToken ct)
    {
        var name = WebhookValidation.Name(request.Name);
        var url = WebhookValidation.Url(request.Url);
        policy.CheckUrl(url);
        var events = WebhookValidation.Events(request.Events);
        return store.CreateAsync(name, Empty(request.Description), request.Url!, events, Empty(request.Secret), request.Status ?? WebhookStatus.ACTIVE, Now(), ct);
    }

    public async Task<Webhook> GetAsync(string? id, CancellationToken ct) =>
        await store.GetAsync(RequireId(id), ct).ConfigureAwait(false) ?? throw NotFound(id!);

    public Task<Page<Webhook>> ListAsync(long? maxResults, string? pageToken, CancellationToken ct) =>
        store.ListAsync(WebhookValidation.PageSize(maxResults), pageToken, ct);

    /// <summary>Empty strings count as "not given", as MLflow's handler reads them.</summary>
    public async Task<Webhook> UpdateAsync(string? id, WebhookChanges request, CancellationToken ct)
    {
        RequireId(id);
        var name = Empty(request.Name) is { } n ? WebhookValidation.Name(n) : null;
        var url = Empty(request.Url);
        if (url is not null)
        {
            policy.CheckUrl(WebhookValidation.Url(url));
        }

        var events = request.Events is { Count: > 0 } e ? WebhookValidation.Events(e) : null;
        var changes = new WebhookChanges(name, Empty(request.Description), url, events, Empty(request.Secret), request.Status);
        return await store.UpdateAsync(id!, changes, Now(), ct).ConfigureAwait(false) ?? throw NotFound(id!);
    }

    public async Task DeleteAsync(string? id, CancellationToken ct)
    {
        if (!await store.DeleteAsync(RequireId(id), Now(), ct).ConfigureAwait(false))
        {
            throw NotFound(id!);
        }
    }

    /// <summary>Sends MLflow's example payload of <paramref name="evt"/> (default: the webhook's first event) now.</summary>
    public async Task<WebhookTestResult> TestAsync(string? id, WebhookEvent? evt, CancellationToken ct)
    {
        var webhook = await GetAsync(id, ct).ConfigureAwait(false);
        var secret = await store.GetSecretAsync(webhook.Id, ct).ConfigureAwait(false);
        var message = WebhookPayloads.Example(evt ?? webhook.Events[0]);
        var payload = WebhookPayloads.Envelope(message.Event, time.GetUtcNow(), message.Data);
        var attempt = await sender.SendAsync(webhook.Url, Guid.NewGuid().ToString(), payload, secret, ct).ConfigureAwait(false);
        return attempt.StatusCode is { } status
            ? new WebhookTestResult(status < 400, status, attempt.ResponseBody, null)
            : new WebhookTestResult(false, null, null, $"Failed to test webhook: {attempt.Error}");
    }

    public async Task<Page<DeliveryRecord>> ListDeliveriesAsync(string? id, long? maxResults, string? pageToken, CancellationToken ct)
    {
        var webhook = await GetAsync(id, ct).ConfigureAwait(false);
        return await store.ListDeliveriesAsync(webhook.Id, WebhookValidation.PageSize(maxResults), pageToken, ct).ConfigureAwait(false);
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    private static string RequireId(string? id) =>
        string.IsNullOrEmpty(id) ? throw MlflowException.MissingParameter("webhook_id") : id;

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static MlflowException NotFound(string id) => MlflowException.NotFound($"Webhook with ID {id} not found.");
}
