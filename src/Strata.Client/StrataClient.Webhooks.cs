using System.Globalization;
using Strata.Client.Http;
using Strata.Client.Wire;
using Strata.Core.Tracking;
using Strata.Core.Webhooks;

namespace Strata.Client;

/// <summary>
/// Webhooks (MLflow 3.5's API, called under <c>/api/2.0/strata/webhooks</c>, where Strata's own events such as
/// <c>deployment.updated</c>, <c>alert.fired</c>, <c>job.finished</c> and <c>policy.decided</c> are shown too) and
/// Strata's delivery log. Events are written <c>entity.action</c> (<c>model_version.created</c>), as in MLflow's Python client.
/// </summary>
public sealed partial class StrataClient
{
    /// <summary>Creates a webhook; <paramref name="secret"/> signs every delivery and is never returned.</summary>
    public async Task<Webhook> CreateWebhookAsync(
        string name, string url, IEnumerable<string> events, string? secret = null, string? description = null, WebhookStatus? status = null, CancellationToken ct = default)
    {
        var response = await SendWebhooksAsync<WebhookResponse>(
            HttpMethod.Post, "", null, new { Name = name, Url = url, Events = WireEvents(events), Secret = secret, Description = description, Status = status }, idempotent: false, ct)
            .ConfigureAwait(false);
        return (response.Webhook ?? throw MissingField("webhook")).ToCore();
    }

    public async Task<Webhook> GetWebhookAsync(string webhookId, CancellationToken ct = default)
    {
        var response = await SendWebhooksAsync<WebhookResponse>(HttpMethod.Get, "/" + Uri.EscapeDataString(webhookId), null, null, idempotent: true, ct).ConfigureAwait(false);
        return (response.Webhook ?? throw MissingField("webhook")).ToCore();
    }

    public async Task<Page<Webhook>> ListWebhooksPageAsync(int? maxResults = null, string? pageToken = null, CancellationToken ct = default)
    {
        var response = await SendWebhooksAsync<ListWebhooksResponse>(
            HttpMethod.Get, "", new Query().Add("max_results", maxResults?.ToString(CultureInfo.InvariantCulture)).Add("page_token", pageToken), null, idempotent: true, ct)
            .ConfigureAwait(false);
        return new Page<Webhook>(response.Webhooks?.Select(w => w.ToCore()).ToList() ?? [], NullIfEmpty(response.NextPageToken));
    }

    public IAsyncEnumerable<Webhook> ListWebhooksAsync(CancellationToken ct = default) =>
        Paginate<Webhook>((token, c) => ListWebhooksPageAsync(null, token, c), ct);

    /// <summary>Changes the fields given (null leaves a field as it is); <paramref name="events"/> replaces the list.</summary>
    public async Task<Webhook> UpdateWebhookAsync(
        string webhookId, string? name = null, string? url = null, IEnumerable<string>? events = null, string? secret = null, string? description = null,
        WebhookStatus? status = null, CancellationToken ct = default)
    {
        var response = await SendWebhooksAsync<WebhookResponse>(
            HttpMethod.Patch, "/" + Uri.EscapeDataString(webhookId), null,
            new { WebhookId = webhookId, Name = name, Url = url, Events = events is null ? null : WireEvents(events), Secret = secret, Description = description, Status = status },
            idempotent: true, ct).ConfigureAwait(false);
        return (response.Webhook ?? throw MissingField("webhook")).ToCore();
    }

    public Task DeleteWebhookAsync(string webhookId, CancellationToken ct = default) =>
        SendWebhooksAsync<EmptyResponse>(HttpMethod.Delete, "/" + Uri.EscapeDataString(webhookId), null, null, idempotent: true, ct);

    /// <summary>Sends MLflow's example payload of <paramref name="evt"/> (default: the webhook's first event) now.</summary>
    public async Task<WebhookTestResult> TestWebhookAsync(string webhookId, string? evt = null, CancellationToken ct = default)
    {
        var response = await SendWebhooksAsync<TestWebhookResponse>(
            HttpMethod.Post, "/" + Uri.EscapeDataString(webhookId) + "/test", null, new { Event = evt is null ? null : WireEvents([evt])[0] }, idempotent: false, ct)
            .ConfigureAwait(false);
        var r = response.Result ?? throw MissingField("result");
        return new WebhookTestResult(r.Success, r.ResponseStatus, r.ResponseBody, r.ErrorMessage);
    }

    /// <summary>Strata's delivery log of a webhook, newest first, as the server's JSON (state, attempts, each attempt's status).</summary>
    public async Task<string> ListWebhookDeliveriesJsonAsync(string webhookId, int? maxResults = null, string? pageToken = null, CancellationToken ct = default)
    {
        var query = new Query().Add("max_results", maxResults?.ToString(CultureInfo.InvariantCulture)).Add("page_token", pageToken);
        using var request = NewRequest(HttpMethod.Get, new Uri(_baseUri, $"api/2.0/strata/webhooks/{Uri.EscapeDataString(webhookId)}/deliveries{query}"), idempotent: true);
        using var response = await SendRawAsync(request, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
    }

    private async Task<T> SendWebhooksAsync<T>(HttpMethod method, string path, Query? query, object? body, bool idempotent, CancellationToken ct)
    {
        using var request = NewRequest(method, new Uri(_baseUri, "api/2.0/strata/webhooks" + path + (query?.ToString() ?? "")), idempotent);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), WireJson.Options));
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        using var response = await SendRawAsync(request, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        return await ReadJsonAsync<T>(response, ct).ConfigureAwait(false);
    }

    private static List<WireWebhookEvent> WireEvents(IEnumerable<string> events) =>
        events.Select(e =>
        {
            var parts = e.Split('.', 2);
            var parsed = WebhookEvent.Parse(parts[0], parts.Length == 2 ? parts[1] : null);
            return new WireWebhookEvent(parsed.EntityName, parsed.ActionName);
        }).ToList();

    private sealed record WireWebhookEvent(string Entity, string Action);

    private sealed record WireWebhook(
        string WebhookId, string Name, string? Description, string Url, List<WireWebhookEvent>? Events, WebhookStatus Status, long CreationTimestamp, long LastUpdatedTimestamp)
    {
        public Webhook ToCore() => new(
            WebhookId, Name, Description, Url, Events?.Select(e => WebhookEvent.Parse(e.Entity, e.Action)).ToList() ?? [], Status, CreationTimestamp, LastUpdatedTimestamp);
    }

    private sealed record WebhookResponse(WireWebhook? Webhook);

    private sealed record ListWebhooksResponse(List<WireWebhook>? Webhooks, string? NextPageToken);

    private sealed record WireTestResult(bool Success, int? ResponseStatus, string? ResponseBody, string? ErrorMessage);

    private sealed record TestWebhookResponse(WireTestResult? Result);
}
