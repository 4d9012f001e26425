using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Webhooks;

/// <summary>
/// A real HTTP receiver on 127.0.0.1 written the way an MLflow webhook receiver is: it checks
/// <c>X-MLflow-Signature</c> by its own HMAC-SHA256 over "{delivery_id}.{timestamp}.{body}", records every request,
/// and answers with the status <see cref="Respond"/> picks (by how many times it has seen that delivery id).
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _received = new();
    private readonly ConcurrentDictionary<string, int> _seen = new();

    private WebhookReceiver(WebApplication app, string secret)
    {
        _app = app;
        Secret = secret;
    }

    public string Secret { get; }

    public string Url { get; private set; } = string.Empty;

    /// <summary>(delivery id, how many times seen including this one) → status to answer.</summary>
    public Func<string, int, int> Respond { get; set; } = (_, _) => 200;

    public IReadOnlyList<Received> Requests => _received.ToList();

    public static async Task<WebhookReceiver> StartAsync(string secret = "receiver-secret")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, secret);
        app.MapPost("/hook", async (HttpContext ctx) =>
        {
            using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var id = ctx.Request.Headers["X-MLflow-Delivery-Id"].ToString();
            var timestamp = ctx.Request.Headers["X-MLflow-Timestamp"].ToString();
            var signature = ctx.Request.Headers["X-MLflow-Signature"].ToString();
            var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(receiver.Secret), Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));
            var count = receiver._seen.AddOrUpdate(id, 1, (_, n) => n + 1);
            var status = receiver.Respond(id, count);
            receiver._received.Enqueue(new Received(id, timestamp, signature, expected == signature, body, status));
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        receiver.Url = app.Urls.First() + "/hook";
        return receiver;
    }

    /// <summary>Waits until <paramref name="done"/> holds for the requests so far (polling; fails after 20 s).</summary>
    public async Task<IReadOnlyList<Received>> WaitAsync(Func<IReadOnlyList<Received>, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!done(Requests))
        {
            Assert.True(DateTime.UtcNow < deadline, $"receiver saw {Requests.Count} requests: {string.Join(" | ", Requests.Select(r => r.Body))}");
            await Task.Delay(20);
        }

        return Requests;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed record Received(string DeliveryId, string Timestamp, string Signature, bool SignatureValid, string Body, int AnsweredWith)
    {
        public string Event
        {
            get
            {
                using var doc = System.Text.Json.JsonDocument.Parse(Body);
                return $"{doc.RootElement.GetProperty("entity").GetString()}.{doc.RootElement.GetProperty("action").GetString()}";
            }
        }
    }
}
