using System.Net;
using System.Text.Json;
using Strata.Server.Hosting;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Webhooks;

/// <summary>The MLflow 3.5 webhook API over HTTP, and deliveries to a real receiver.</summary>
public sealed class WebhooksApiTests : IAsyncLifetime
{
    private const string Api = "/api/2.0/mlflow/";
    private StrataTestServer _server = null!;
    private WebhookReceiver _receiver = null!;

    private StrataTestServer Server => _server;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _server = await StrataTestServer.StartAsync(Fast);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private static void Fast(StrataServerOptions o)
    {
        o.Webhooks.PollInterval = TimeSpan.FromMilliseconds(25);
        o.Webhooks.RetryBaseDelay = TimeSpan.FromMilliseconds(40);
        o.Webhooks.RequestTimeout = TimeSpan.FromSeconds(5);
    }

    private static string Q(string value) => Uri.EscapeDataString(value);

    private async Task<JsonElement> CreateWebhookAsync(string url, object[] events, string? secret = null, string? name = null) =>
        (await Server.PostAsync(Api + "webhooks", new { name = name ?? "hook-" + Guid.NewGuid().ToString("N")[..8], url, events, secret, description = "d" }))
            .Ok().GetProperty("webhook");

    private static readonly object[] AllModelEvents =
    [
        new { entity = "REGISTERED_MODEL", action = "CREATED" },
        new { entity = "MODEL_VERSION", action = "CREATED" },
        new { entity = "MODEL_VERSION_TAG", action = "SET" },
        new { entity = "MODEL_VERSION_TAG", action = "DELETED" },
        new { entity = "MODEL_VERSION_ALIAS", action = "CREATED" },
        new { entity = "MODEL_VERSION_ALIAS", action = "DELETED" },
    ];

    [Fact]
    public async Task Create_get_list_update_delete_as_the_mlflow_client_calls_them()
    {
        var created = await CreateWebhookAsync("https://example.com/a", [new { entity = "MODEL_VERSION", action = "CREATED" }], secret: "top-secret", name: "first.hook");
        var id = created.GetProperty("webhook_id").GetString()!;
        Assert.Equal("first.hook", created.GetProperty("name").GetString());
        Assert.Equal("ACTIVE", created.GetProperty("status").GetString());
        Assert.Equal("MODEL_VERSION", created.GetProperty("events")[0].GetProperty("entity").GetString());
        Assert.Equal("CREATED", created.GetProperty("events")[0].GetProperty("action").GetString());
        Assert.DoesNotContain("top-secret", created.GetRawText());
        Assert.False(created.TryGetProperty("secret", out _));

        var got = (await Server.GetAsync($"{Api}webhooks/{id}")).Ok().GetProperty("webhook");
        Assert.Equal(created.GetRawText(), got.GetRawText());

        // Enums by number (protobuf JSON allows it) and a second webhook for paging.
        var second = await CreateWebhookAsync("http://127.0.0.1:9/x", [new { entity = 4, action = 3 }]);
        Assert.Equal("MODEL_VERSION_ALIAS", second.GetProperty("events")[0].GetProperty("entity").GetString());
        Assert.Equal("DELETED", second.GetProperty("events")[0].GetProperty("action").GetString());

        var page1 = (await Server.GetAsync($"{Api}webhooks?max_results=1")).Ok();
        Assert.Equal(second.GetProperty("webhook_id").GetString(), page1.List("webhooks").Single().GetProperty("webhook_id").GetString());
        var token = page1.GetProperty("next_page_token").GetString()!;
        var page2 = (await Server.GetAsync($"{Api}webhooks?max_results=1&page_token={Q(token)}")).Ok();
        Assert.Equal(id, page2.List("webhooks").Single().GetProperty("webhook_id").GetString());

        var updated = (await Server.PatchAsync($"{Api}webhooks/{id}", new
        {
            webhook_id = id,
            name = "renamed",
            status = "DISABLED",
            events = new[] { new { entity = "PROMPT", action = "CREATED" }, new { entity = "PROMPT_ALIAS", action = "DELETED" } },
        })).Ok().GetProperty("webhook");
        Assert.Equal("renamed", updated.GetProperty("name").GetString());
        Assert.Equal("DISABLED", updated.GetProperty("status").GetString());
        Assert.Equal("https://example.com/a", updated.GetProperty("url").GetString());
        Assert.Equal(2, updated.GetProperty("events").GetArrayLength());

        Assert.Equal("{}", (await Server.DeleteAsync($"{Api}webhooks/{id}")).Ok().GetRawText());
        (await Server.GetAsync($"{Api}webhooks/{id}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.DeleteAsync($"{Api}webhooks/{id}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PatchAsync($"{Api}webhooks/{id}", new { name = "x" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync($"/ajax-api/2.0/mlflow/webhooks/{id}/test", new { })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Registry_changes_are_delivered_signed_in_order_with_retries()
    {
        var hook = await CreateWebhookAsync(_receiver.Url, AllModelEvents, secret: _receiver.Secret);
        var hookId = hook.GetProperty("webhook_id").GetString()!;
        // The first delivery fails twice (503, then 429) before it is accepted; nothing behind it may overtake it.
        string? first = null;
        _receiver.Respond = (id, count) =>
        {
            first ??= id;
            return id == first && count <= 2 ? (count == 1 ? 503 : 429) : 200;
        };

        var name = "wh-" + Guid.NewGuid().ToString("N")[..8];
        (await Server.PostAsync(Api + "registered-models/create", new { name, tags = new[] { new { key = "team", value = "risk" } } })).Ok();
        (await Server.PostAsync(Api + "model-versions/create", new { name, source = "s3://b/m", description = "v1" })).Ok();
        (await Server.PostAsync(Api + "model-versions/set-tag", new { name, version = "1", key = "k", value = "v" })).Ok();
        (await Server.PostAsync(Api + "registered-models/alias", new { name, alias = "champion", version = "1" })).Ok();
        (await Server.DeleteAsync(Api + "registered-models/alias", new { name, alias = "champion" })).Ok();
        (await Server.DeleteAsync(Api + "model-versions/delete-tag", new { name, version = "1", key = "k" })).Ok();
        (await Server.PostAsync(Api + "registered-models/set-tag", new { name, key = "not", value = "sent" })).Ok(); // no MLflow event for models

        var seen = await _receiver.WaitAsync(r => r.Count(x => x.AnsweredWith == 200) >= 6);
        Assert.All(seen, r => Assert.True(r.SignatureValid, r.Body));
        var accepted = seen.Where(r => r.AnsweredWith == 200).ToList();
        Assert.Equal(
            ["registered_model.created", "model_version.created", "model_version_tag.set", "model_version_alias.created", "model_version_alias.deleted", "model_version_tag.deleted"],
            accepted.Select(r => r.Event));
        Assert.Equal([503, 429, 200], seen.Where(r => r.DeliveryId == first).Select(r => r.AnsweredWith));
        Assert.Equal(first, seen[0].DeliveryId);
        Assert.Equal(6, accepted.Select(r => r.DeliveryId).Distinct().Count());

        using (var body = JsonDocument.Parse(accepted[1].Body))
        {
            var data = body.RootElement.GetProperty("data");
            Assert.Equal(name, data.GetProperty("name").GetString());
            Assert.Equal("1", data.GetProperty("version").GetString());
            Assert.Equal("s3://b/m", data.GetProperty("source").GetString());
            Assert.Equal("v1", data.GetProperty("description").GetString());
            Assert.EndsWith("+00:00", body.RootElement.GetProperty("timestamp").GetString());
        }

        // Every attempt is listed with the delivery.
        var log = (await Server.GetAsync($"/api/2.0/strata/webhooks/{hookId}/deliveries")).Ok().List("deliveries");
        Assert.Equal(6, log.Count);
        var retried = log.Single(d => d.GetProperty("delivery_id").GetString() == first);
        Assert.Equal("SUCCEEDED", retried.GetProperty("state").GetString());
        Assert.Equal([503, 429, 200], retried.GetProperty("attempt_log").EnumerateArray().Select(a => a.GetProperty("status_code").GetInt32()));
    }

    [Fact]
    public async Task A_4xx_is_not_retried_and_a_disabled_webhook_gets_nothing()
    {
        var hook = await CreateWebhookAsync(_receiver.Url, [new { entity = "REGISTERED_MODEL", action = "CREATED" }], secret: _receiver.Secret);
        var disabled = await CreateWebhookAsync(_receiver.Url + "?disabled=1", [new { entity = "REGISTERED_MODEL", action = "CREATED" }]);
        (await Server.PatchAsync($"{Api}webhooks/{disabled.GetProperty("webhook_id").GetString()}", new { status = "DISABLED" })).Ok();
        _receiver.Respond = (_, _) => 410;
        (await Server.PostAsync(Api + "registered-models/create", new { name = "gone-" + Guid.NewGuid().ToString("N")[..8] })).Ok();
        await _receiver.WaitAsync(r => r.Count == 1);
        var hookId = hook.GetProperty("webhook_id").GetString()!;
        JsonElement delivery = default;
        for (var i = 0; i < 200 && delivery.ValueKind == JsonValueKind.Undefined; i++)
        {
            var log = (await Server.GetAsync($"/api/2.0/strata/webhooks/{hookId}/deliveries")).Ok().List("deliveries");
            if (log.Count == 1 && log[0].GetProperty("state").GetString() == "FAILED")
            {
                delivery = log[0];
            }
            else
            {
                await Task.Delay(25);
            }
        }

        Assert.Equal(1, delivery.GetProperty("attempts").GetInt32());
        await Task.Delay(300); // a few more dispatcher rounds: still one request, none to the disabled webhook
        Assert.Single(_receiver.Requests);
    }

    [Fact]
    public async Task Test_webhook_sends_mlflows_example_payload_signed()
    {
        var hook = await CreateWebhookAsync(_receiver.Url, [new { entity = "MODEL_VERSION_TAG", action = "SET" }], secret: _receiver.Secret);
        var id = hook.GetProperty("webhook_id").GetString()!;
        var result = (await Server.PostAsync($"{Api}webhooks/{id}/test", new { webhook_id = id })).Ok().GetProperty("result");
        Assert.True(result.GetProperty("success").GetBoolean());
        Assert.Equal(200, result.GetProperty("response_status").GetInt32());
        var sent = Assert.Single(_receiver.Requests);
        Assert.True(sent.SignatureValid);
        Assert.Equal("model_version_tag.set", sent.Event);

        _receiver.Respond = (_, _) => 500;
        var other = (await Server.PostAsync($"{Api}webhooks/{id}/test", new { @event = new { entity = "PROMPT_ALIAS", action = "DELETED" } })).Ok().GetProperty("result");
        Assert.False(other.GetProperty("success").GetBoolean());
        Assert.Equal(500, other.GetProperty("response_status").GetInt32());
        Assert.Equal("prompt_alias.deleted", _receiver.Requests[^1].Event);

        var unreachable = await CreateWebhookAsync("http://127.0.0.1:1/nothing", [new { entity = "MODEL_VERSION", action = "CREATED" }]);
        var failed = (await Server.PostAsync($"{Api}webhooks/{unreachable.GetProperty("webhook_id").GetString()}/test", new { })).Ok().GetProperty("result");
        Assert.False(failed.GetProperty("success").GetBoolean());
        Assert.StartsWith("Failed to test webhook", failed.GetProperty("error_message").GetString());
    }

    [Fact]
    public async Task An_event_recorded_before_a_stop_is_delivered_after_the_restart()
    {
        var directory = Directory.CreateTempSubdirectory("strata-webhook-restart-").FullName;
        try
        {
            void SameDatabase(StrataServerOptions o)
            {
                Fast(o);
                o.BackendStoreUri = "sqlite:///" + Path.Combine(directory, "strata.db");
                o.ArtifactsDestination = Path.Combine(directory, "artifacts");
            }

            var name = "restart-" + Guid.NewGuid().ToString("N")[..8];
            await using (var first = await StrataTestServer.StartAsync(o =>
            {
                SameDatabase(o);
                o.Webhooks.PollInterval = TimeSpan.FromHours(1); // its dispatcher's first round runs before anything exists
            }))
            {
                (await first.PostAsync(Api + "webhooks", new { name = "restart", url = _receiver.Url, events = new[] { new { entity = "REGISTERED_MODEL", action = "CREATED" } }, secret = _receiver.Secret })).Ok();
                (await first.PostAsync(Api + "registered-models/create", new { name })).Ok();
            }

            Assert.Empty(_receiver.Requests);
            await using var second = await StrataTestServer.StartAsync(SameDatabase);
            var seen = await _receiver.WaitAsync(r => r.Count == 1);
            Assert.True(seen[0].SignatureValid);
            Assert.Contains(name, seen[0].Body);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Prompts_raise_prompt_events()
    {
        await CreateWebhookAsync(_receiver.Url, [new { entity = "PROMPT", action = "CREATED" }, new { entity = "PROMPT_VERSION", action = "CREATED" }, new { entity = "REGISTERED_MODEL", action = "CREATED" }], secret: _receiver.Secret);
        var name = "p-" + Guid.NewGuid().ToString("N")[..8];
        (await Server.PostAsync(Api + "registered-models/create", new { name, tags = new[] { new { key = "mlflow.prompt.is_prompt", value = "true" } } })).Ok();
        (await Server.PostAsync(Api + "model-versions/create", new
        {
            name,
            source = "dummy-source",
            tags = new[] { new { key = "mlflow.prompt.is_prompt", value = "true" }, new { key = "mlflow.prompt.text", value = "Hi {{ who }}" } },
        })).Ok();
        var seen = await _receiver.WaitAsync(r => r.Count == 2);
        Assert.Equal(["prompt.created", "prompt_version.created"], seen.Select(r => r.Event));
        using var version = JsonDocument.Parse(seen[1].Body);
        Assert.Equal("Hi {{ who }}", version.RootElement.GetProperty("data").GetProperty("template").GetString());
    }
}
