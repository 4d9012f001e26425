using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;
using Strata.Core.Webhooks;
using Strata.Server.Hosting;

namespace Strata.Server.Webhooks;

/// <summary>
/// POSTs a delivery with MLflow's headers and signature. Connections go only to addresses the policy allows, checked
/// after DNS resolution, so a host name that resolves to a metadata address is refused like the address itself.
/// </summary>
internal sealed class WebhookSender : IWebhookSender, IDisposable
{
    private const int MaxBodyExcerpt = 1000;

    private readonly HttpClient _client;
    private readonly TimeProvider _time;

    public WebhookSender(IOptions<StrataServerOptions> options, TimeProvider time)
    {
        var settings = options.Value.Webhooks;
        var policy = settings.Policy();
        _time = time;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = async (context, ct) =>
            {
                var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct).ConfigureAwait(false);
                var allowed = addresses.Where(policy.IsAllowed).ToArray();
                if (allowed.Length == 0)
                {
                    throw new HttpRequestException($"webhook host {context.DnsEndPoint.Host} resolves only to addresses webhooks may not reach");
                }

                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _client = new HttpClient(handler) { Timeout = settings.RequestTimeout };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("Strata-Webhooks/1.0");
    }

    public async Task<DeliveryAttempt> SendAsync(string url, string deliveryId, string payload, string? secret, CancellationToken ct)
    {
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
        request.Headers.Add(WebhookSignature.DeliveryIdHeader, deliveryId);
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp);
        if (!string.IsNullOrEmpty(secret))
        {
            request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(secret, deliveryId, timestamp, payload));
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            var body = await ReadExcerptAsync(response, ct).ConfigureAwait(false);
            return new DeliveryAttempt((int)response.StatusCode, body, null, Elapsed(started));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException && !ct.IsCancellationRequested)
        {
            var reason = e is TaskCanceledException ? $"no response within {_client.Timeout.TotalSeconds:0.#} s" : e.Message;
            return new DeliveryAttempt(null, null, reason, Elapsed(started));
        }
    }

    public void Dispose() => _client.Dispose();

    private static async Task<string> ReadExcerptAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var buffer = new char[MaxBodyExcerpt];
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), Encoding.UTF8);
        var read = await reader.ReadBlockAsync(buffer.AsMemory(), ct).ConfigureAwait(false);
        return new string(buffer, 0, read);
    }

    private static long Elapsed(long started) => (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}
