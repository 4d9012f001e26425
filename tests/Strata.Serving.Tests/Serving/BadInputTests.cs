using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Strata.Serving.Tests.Serving;

/// <summary>Client mistakes are 400 (or 415) with a message naming what is wrong; never a 500.</summary>
[Collection(ServingCollection.Name)]
public sealed class BadInputTests(ServingFixture fixture)
{
    public static TheoryData<string, string, string, string> Invocations => new()
    {
        // model, body, error code, text the message must contain
        { "houses", """{"dataframe_split": {"columns": ["Size", "Rooms"], "data": [[1.5, 2]]}}""", "INVALID_PARAMETER_VALUE", "'Age'" },
        { "houses", """{"dataframe_records": [{"Size": 1.0, "Rooms": 2.0}]}""", "INVALID_PARAMETER_VALUE", "'Age'" },
        { "houses", """{"dataframe_split": {"columns": ["Size", "Rooms", "Age"], "data": [["big", 2, 3]]}}""", "INVALID_PARAMETER_VALUE", "'Size'" },
        { "houses", """{"dataframe_records": [{"Size": 1.0, "Rooms": true, "Age": 3}]}""", "INVALID_PARAMETER_VALUE", "'Rooms'" },
        { "houses", """{"dataframe_split": {"columns": ["Size", "Rooms", "Age"], "data": [[1, 2]]}}""", "INVALID_PARAMETER_VALUE", "3 columns" },
        { "houses", """{"dataframe_split": {"columns": ["Size", "Rooms", "Age"], "data": [[[1, 2], 2, 3]]}}""", "INVALID_PARAMETER_VALUE", "'Size'" },
        { "houses", """{"inputs": {"Size": [1, 2], "Rooms": [1], "Age": [1, 2]}}""", "INVALID_PARAMETER_VALUE", "'Rooms'" },
        { "houses-onnx", """{"dataframe_split": {"columns": ["Size", "Rooms"], "data": [[1.5, 2]]}}""", "INVALID_PARAMETER_VALUE", "'Age'" },
        { "houses-onnx", """{"inputs": {"Size": ["a"], "Rooms": [1], "Age": [1]}}""", "INVALID_PARAMETER_VALUE", "'Size'" },
        { "sensors", """{"inputs": {"Features": [[1, 2, 3]]}}""", "INVALID_PARAMETER_VALUE", "'Features'" },
        { "sensors", """{"instances": [[1, 2, 3, 4], [1, 2]]}""", "INVALID_PARAMETER_VALUE", "'Features'" },
        { "houses", """{"dataframe_split": {"columns": ["Size"], "data": [[1]]}, "inputs": {"Size": [1]}}""", "BAD_REQUEST", "exactly one" },
        { "houses", """{"rows": []}""", "BAD_REQUEST", "exactly one" },
        { "houses", """[{"Size": 1}]""", "BAD_REQUEST", "JSON dictionary" },
        { "houses", """{"dataframe_split": {"columns": ["Size"], "data": [[1]""", "BAD_REQUEST", "not valid JSON" },
        { "houses", """{"dataframe_split": {"columns": ["Size", "Rooms", "Age"], "rows": [[1, 2, 3]]}}""", "BAD_REQUEST", "'rows'" },
        { "houses", """{"dataframe_records": {"Size": 1}}""", "BAD_REQUEST", "must be a list" },
        { "houses", """{"messages": [{"role": "user", "content": "hi"}]}""", "BAD_REQUEST", "messages" },
    };

    [Fact]
    public async Task A_body_cut_short_is_logged_as_the_clients_doing_not_the_models()
    {
        // Content-Length promises 200 bytes, 20 come, and the client stops sending: Kestrel reports the short body
        // and the request is gone. It is logged with Kestrel's reason, not as a model failure.
        var host = fixture.Plain;
        var address = host.Client.BaseAddress!;
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(address.Host, address.Port);
            var request = $"POST /serving/houses/invocations HTTP/1.1\r\nHost: {address.Authority}\r\nX-Request-ID: cut-short\r\n"
                + "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"dataframe_split\": ";
            var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
            tcp.Client.Shutdown(SocketShutdown.Send);
            try
            {
                await stream.CopyToAsync(Stream.Null);
            }
            catch (IOException)
            {
                // Kestrel may reset the connection rather than close it; either way the request is over.
            }
        }

        JsonElement? logged = null;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (logged is null && DateTime.UtcNow < deadline)
        {
            var (_, page) = await host.GetJsonAsync("/api/2.0/strata/predictions?model=houses&max_results=1000");
            logged = page.GetProperty("predictions").EnumerateArray().Cast<JsonElement?>().FirstOrDefault(r => r!.Value.GetProperty("request_id").GetString() == "cut-short");
            await Task.Delay(20);
        }

        Assert.NotNull(logged);
        Assert.Contains(logged.Value.GetProperty("status_code").GetInt32(), new[] { 400, 499 });
        var error = logged.Value.GetProperty("error_message").GetString();
        Assert.Contains("Unexpected end of request content", error, StringComparison.Ordinal);
        Assert.DoesNotContain("evaluating the model", error, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Invocations))]
    public async Task Bad_invocations_are_400_naming_the_problem(string model, string body, string code, string mentions)
    {
        foreach (var host in new[] { fixture.Plain, fixture.Batched })
        {
            var (status, json, text) = await host.CallAsync($"/serving/{model}/invocations", body);
            Assert.True(status == 400, $"{status}: {text}");
            Assert.Equal(code, json.GetProperty("error_code").GetString());
            Assert.Contains(mentions, json.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(null, "Content-Type")]
    [InlineData("text/plain", "text/plain")]
    [InlineData("application/json; charset=latin-1", "UTF-8")]
    [InlineData("application/json; format=pandas-split", "format")]
    public async Task Unsupported_content_types_are_415_text(string? contentType, string mentions)
    {
        using var response = await fixture.Plain.PostAsync("/invocations", """{"dataframe_split": {"data": [[1, 2, 3]]}}""", contentType);
        Assert.Equal(415, (int)response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(mentions, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_csv_is_400()
    {
        var (status, json, _) = await fixture.Plain.CallAsync("/invocations", "Size,Rooms,Age\n1,2\n", "text/csv");
        Assert.Equal(400, status);
        Assert.Contains("CSV row 1", json.GetProperty("message").GetString(), StringComparison.Ordinal);
        (status, json, _) = await fixture.Plain.CallAsync("/invocations", "Size,Rooms,Age\nx,2,3\n", "text/csv");
        Assert.Equal(400, status);
        Assert.Contains("'Size'", json.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> V2 => new()
    {
        { "houses", """{"inputs": [{"name": "Size", "shape": [1], "datatype": "FP32", "data": [1]}]}""", "'Rooms'" },
        { "houses", """{"inputs": [{"name": "Size", "shape": [2], "datatype": "FP32", "data": [1]}, {"name": "Rooms", "shape": [1], "datatype": "FP32", "data": [1]}, {"name": "Age", "shape": [1], "datatype": "FP32", "data": [1]}]}""", "shape [2] needs 2" },
        { "houses", """{"inputs": [{"name": "Size", "shape": [1], "datatype": "BYTES", "data": ["a"]}]}""", "'Size' has datatype BYTES" },
        { "houses", """{"inputs": [{"name": "Size", "shape": [1], "datatype": "FP32"}]}""", "missing data" },
        { "houses", """{"inputs": [{"name": "Weight", "shape": [1], "datatype": "FP32", "data": [1]}]}""", "'Weight'" },
        { "houses", """{"inputs": [{"name": "Size", "shape": [1], "datatype": "FP99", "data": [1]}]}""", "FP99" },
        { "houses", """{"inputs": []}""", "at least one" },
        { "sensors", """{"inputs": [{"name": "Features", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}""", "'Features'" },
        { "houses-onnx", """{"inputs": [{"name": "Size", "shape": [1, 1], "datatype": "FP32", "data": [1]}]}""", "'Rooms'" },
        { "houses", """{"inputs": [{"name": "Size", "shape": [1], "datatype": "FP32", "data": [1]}], "outputs": [{"name": "Nope"}], """, "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(V2))]
    public async Task Bad_v2_requests_are_400_with_an_error_naming_it(string model, string body, string mentions)
    {
        var (status, json, text) = await fixture.Plain.CallAsync($"/v2/models/{model}/infer", body);
        Assert.True(status == 400, $"{status}: {text}");
        Assert.Equal(JsonValueKind.String, json.GetProperty("error").ValueKind);
        Assert.Contains(mentions, json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Asking_for_an_unknown_output_is_400()
    {
        var body = RequestBodies.V2Houses(fixture.Models.Houses.Take(1))[..^1] + ", \"outputs\": [{\"name\": \"Nope\"}]}";
        var (status, json, _) = await fixture.Plain.CallAsync("/v2/models/houses/infer", body);
        Assert.Equal(400, status);
        Assert.Contains("'Nope'", json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
