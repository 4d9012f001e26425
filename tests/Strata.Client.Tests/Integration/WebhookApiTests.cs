using System.Net;
using System.Text.Json;
using Strata.Core.Errors;
using Strata.Core.Webhooks;

namespace Strata.Client.Tests.Integration;

public sealed class WebhookApiTests : IAsyncLifetime
{
    private StrataTestServer _server = null!;
    private StrataClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await StrataTestServer.StartAsync();
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Webhooks_round_trip_through_the_sdk()
    {
        var hook = await _client.CreateWebhookAsync("sdk-hook", "http://127.0.0.1:1/none", ["model_version.created", "prompt_alias.deleted"], secret: "s", description: "d");
        Assert.Equal([new WebhookEvent("model_version", "created"), new WebhookEvent("prompt_alias", "deleted")], hook.Events);
        Assert.Equal(WebhookStatus.ACTIVE, hook.Status);
        var got = await _client.GetWebhookAsync(hook.Id);
        Assert.Equal(hook with { Events = [] }, got with { Events = [] });
        Assert.Equal(hook.Events, got.Events);
        Assert.Equal([hook.Id], await _client.ListWebhooksAsync().Select(w => w.Id).ToListAsync());

        var updated = await _client.UpdateWebhookAsync(hook.Id, name: "renamed", status: WebhookStatus.DISABLED, events: ["registered_model.created"]);
        Assert.Equal(("renamed", WebhookStatus.DISABLED), (updated.Name, updated.Status));
        Assert.Equal([new WebhookEvent("registered_model", "created")], updated.Events);

        var test = await _client.TestWebhookAsync(hook.Id, "model_version_tag.set");
        Assert.False(test.Success);
        Assert.NotNull(test.ErrorMessage);

        await _client.CreateRegisteredModelAsync("hooked");
        using (var deliveries = JsonDocument.Parse(await _client.ListWebhookDeliveriesJsonAsync(hook.Id)))
        {
            Assert.Equal(JsonValueKind.Object, deliveries.RootElement.ValueKind); // disabled: nothing queued for it
            Assert.False(deliveries.RootElement.TryGetProperty("deliveries", out _));
        }

        await _client.DeleteWebhookAsync(hook.Id);
        var missing = await Assert.ThrowsAsync<StrataApiException>(() => _client.GetWebhookAsync(hook.Id));
        Assert.Equal((ErrorCode.RESOURCE_DOES_NOT_EXIST, HttpStatusCode.NotFound), (missing.ErrorCode, missing.StatusCode));
        var invalid = await Assert.ThrowsAsync<MlflowException>(() => _client.CreateWebhookAsync("x", "http://e.com", ["model_version.set"]));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, invalid.Code);
    }
}
