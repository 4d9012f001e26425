using System.Net.Sockets;
using System.Text;
using Strata.Serving.Hosting;

namespace Strata.Serving.Tests.Serving;

/// <summary>
/// MLflow's request timeout: a request that outlives it is answered <c>504</c> with MLflow's text. The slow path is a
/// client that sends its headers and half its body and then stalls, so the server is stuck in the body read until
/// the deadline fires; no test sleeps.
/// </summary>
[Collection(ServingCollection.Name)]
public sealed class RequestTimeoutTests(ServingFixture fixture)
{
    private const string Body = """{"dataframe_split": {"columns": ["Size", "Rooms", "Age"], "data": [[1.5, 2, 3]]}}""";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_stalled_invocation_is_504_with_mlflows_text_and_a_prompt_one_still_succeeds(bool batching)
    {
        await using var host = await ServingTestHost.StartAsync(
            fixture.Options(batching) with { RequestTimeout = TimeSpan.FromMilliseconds(300) }, predictionLog: false);

        var (status, headers, text) = await StalledPostAsync(host, "/serving/houses/invocations");
        Assert.Equal(504, status);
        Assert.Contains("Content-Type: text/plain", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(ServingRequestHandler.TimeoutMessage, text);

        var (ok, _, okText) = await host.CallAsync("/serving/houses/invocations", Body);
        Assert.True(ok == 200, okText);
    }

    [Fact]
    public async Task A_stalled_v2_inference_is_504_with_a_v2_error_body()
    {
        await using var host = await ServingTestHost.StartAsync(
            fixture.Options(batching: false) with { RequestTimeout = TimeSpan.FromMilliseconds(300) }, predictionLog: false);

        var (status, headers, text) = await StalledPostAsync(host, "/v2/models/houses/infer");
        Assert.Equal(504, status);
        Assert.Contains("Content-Type: application/json", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("""{"error":"Request processing time exceeded limit"}""", text);
    }

    [Theory]
    [InlineData(null, 60.0)]
    [InlineData("", 60.0)]
    [InlineData("5", 5.0)]
    [InlineData("0.25", 0.25)]
    public void The_timeout_variable_is_seconds_defaulting_to_60(string? value, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), ServingOptions.ParseRequestTimeout(value));

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("soon")]
    public void A_bad_timeout_variable_names_it(string value)
    {
        var e = Assert.Throws<ArgumentException>(() => ServingOptions.ParseRequestTimeout(value));
        Assert.Contains(ServingOptions.RequestTimeoutVariable, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_non_positive_timeout_is_refused() =>
        Assert.Throws<ArgumentException>(() => (fixture.Options(batching: false) with { RequestTimeout = TimeSpan.Zero }).Validate());

    /// <summary>Sends the headers and half of a JSON body over a raw socket, never the rest, and reads the answer.</summary>
    private static async Task<(int Status, string Headers, string Body)> StalledPostAsync(ServingTestHost host, string path)
    {
        var address = host.Client.BaseAddress!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port, cts.Token);
        var stream = tcp.GetStream();
        var request = $"POST {path} HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: application/json\r\nContent-Length: {Body.Length}\r\n\r\n{Body[..(Body.Length / 2)]}";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), cts.Token);

        var received = new MemoryStream();
        var buffer = new byte[4096];
        while (true)
        {
            var text = Encoding.UTF8.GetString(received.GetBuffer(), 0, (int)received.Length);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var headers = text[..end];
                var lengthLine = headers.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                var length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                if (text.Length - end - 4 >= length)
                {
                    var status = int.Parse(headers.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                    return (status, headers, text.Substring(end + 4, length));
                }
            }

            var read = await stream.ReadAsync(buffer, cts.Token);
            if (read == 0)
            {
                throw new IOException($"The server closed the connection after: {text}");
            }

            received.Write(buffer, 0, read);
        }
    }
}
