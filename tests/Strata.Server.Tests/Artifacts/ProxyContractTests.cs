using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Strata.Core.Artifacts;

namespace Strata.Tests.Artifacts;

/// <summary>The artifact proxy over HTTP, run against each store.</summary>
public abstract class ProxyContractTests : IAsyncLifetime
{
    protected const string Base = "api/2.0/mlflow-artifacts/artifacts";

    protected ArtifactTestServer Server { get; private set; } = null!;

    protected HttpClient Client => Server.Client;

    protected abstract Task<ArtifactTestServer> StartServerAsync();

    /// <summary>Visible-or-not is checked through the API; this adds the store's own leftovers (null: cannot tell).</summary>
    protected abstract int? UnfinishedUploads();

    public async Task InitializeAsync() => Server = await StartServerAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    protected static string Url(string path) => Base + "/" + string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    protected async Task PutAsync(string path, byte[] content)
    {
        using var response = await Client.PutAsync(Url(path), new ByteArrayContent(content));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{}", await response.Content.ReadAsStringAsync());
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    protected async Task<byte[]> GetAsync(string path)
    {
        using var response = await Client.GetAsync(Url(path));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsByteArrayAsync();
    }

    protected async Task<JsonElement> ListAsync(string? path)
    {
        var url = path is null ? Base : Base + "?path=" + Uri.EscapeDataString(path);
        using var response = await Client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    protected static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code, string? message = null)
    {
        Assert.Equal(status, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(code, body.GetProperty("error_code").GetString());
        if (message is not null)
        {
            Assert.Equal(message, body.GetProperty("message").GetString());
        }
    }

    [Theory]
    [InlineData("0/r1/artifacts/tiny.txt", 3)]
    [InlineData("0/r1/artifacts/empty.txt", 0)]
    [InlineData("0/r1/artifacts/данные/モデル ü+%.bin", 100)]
    [InlineData("0/r1/artifacts/model/MLmodel", 2000)]
    public async Task Round_trips(string path, int length)
    {
        var content = TestStreams.Bytes(length, length + 1);
        await PutAsync(path, content);
        Assert.Equal(content, await GetAsync(path));
    }

    [Fact]
    public async Task Binary_round_trip()
    {
        var content = TestStreams.AllByteValues();
        await PutAsync("bin/all.bin", content);
        Assert.Equal(content, await GetAsync("bin/all.bin"));
    }

    [Fact]
    public async Task Large_streamed_round_trip_has_the_same_checksum()
    {
        const long length = 100L << 20;
        var source = new GeneratedStream(length, seed: 42);
        var content = new StreamContent(source, 1 << 20); // non-seekable: sent chunked
        using (var put = await Client.PutAsync(Url("big/100mb.bin"), content))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using var get = await Client.GetAsync(Url("big/100mb.bin"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(length, get.Content.Headers.ContentLength);
        var sink = new HashingSink();
        await (await get.Content.ReadAsStreamAsync()).CopyToAsync(sink, 1 << 20);
        Assert.Equal(length, sink.Written);
        Assert.Equal(source.Hash.GetHashAndReset(), sink.Hash.GetHashAndReset());
    }

    [Fact]
    public async Task Download_headers_follow_mlflow()
    {
        await PutAsync("h/MLmodel", [1]);
        await PutAsync("h/conda.yaml", [1]);
        await PutAsync("h/picture.png", [1]);
        await PutAsync("h/weights.unknownext", [1, 2, 3]);
        await PutAsync("h/ü name.txt", [1]);

        using var mlmodel = await Client.GetAsync(Url("h/MLmodel"));
        Assert.Equal("text/plain", mlmodel.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", mlmodel.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("MLmodel", mlmodel.Content.Headers.ContentDisposition.FileName);
        Assert.Equal("nosniff", mlmodel.Headers.GetValues("X-Content-Type-Options").Single());

        using var yaml = await Client.GetAsync(Url("h/conda.yaml"));
        Assert.Equal("text/plain", yaml.Content.Headers.ContentType!.MediaType);
        using var png = await Client.GetAsync(Url("h/picture.png"));
        Assert.Equal("image/png", png.Content.Headers.ContentType!.MediaType);
        using var unknown = await Client.GetAsync(Url("h/weights.unknownext"));
        Assert.Equal("application/octet-stream", unknown.Content.Headers.ContentType!.MediaType);
        Assert.Equal(3, unknown.Content.Headers.ContentLength);
        using var unicode = await Client.GetAsync(Url("h/ü name.txt"));
        Assert.Equal("ü name.txt", unicode.Content.Headers.ContentDisposition!.FileNameStar);
    }

    [Fact]
    public async Task Range_requests()
    {
        var content = TestStreams.Bytes(1000, 5);
        await PutAsync("range/r.bin", content);

        async Task<HttpResponseMessage> Get(string range)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, Url("range/r.bin"));
            request.Headers.TryAddWithoutValidation("Range", range);
            return await Client.SendAsync(request);
        }

        using (var r = await Get("bytes=10-19"))
        {
            Assert.Equal(HttpStatusCode.PartialContent, r.StatusCode);
            Assert.Equal("bytes 10-19/1000", r.Content.Headers.ContentRange!.ToString());
            Assert.Equal(10, r.Content.Headers.ContentLength);
            Assert.Equal(content[10..20], await r.Content.ReadAsByteArrayAsync());
        }

        using (var r = await Get("bytes=990-"))
        {
            Assert.Equal(HttpStatusCode.PartialContent, r.StatusCode);
            Assert.Equal(content[990..], await r.Content.ReadAsByteArrayAsync());
        }

        using (var r = await Get("bytes=-5"))
        {
            Assert.Equal(HttpStatusCode.PartialContent, r.StatusCode);
            Assert.Equal("bytes 995-999/1000", r.Content.Headers.ContentRange!.ToString());
            Assert.Equal(content[995..], await r.Content.ReadAsByteArrayAsync());
        }

        using (var r = await Get("bytes=900-5000"))
        {
            Assert.Equal(HttpStatusCode.PartialContent, r.StatusCode);
            Assert.Equal("bytes 900-999/1000", r.Content.Headers.ContentRange!.ToString());
            Assert.Equal(content[900..], await r.Content.ReadAsByteArrayAsync());
        }

        using (var r = await Get("bytes=1000-"))
        {
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, r.StatusCode);
            Assert.Equal("bytes */1000", r.Content.Headers.ContentRange!.ToString());
        }

        using (var r = await Get("bytes=0-1,5-6"))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal(content, await r.Content.ReadAsByteArrayAsync());
        }

        using (var r = await Get("items=0-1"))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal(1000, r.Content.Headers.ContentLength);
        }
    }

    [Fact]
    public async Task Head_gives_headers_only()
    {
        await PutAsync("head/x.json", [1, 2, 3, 4]);
        using var response = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, Url("head/x.json")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(4, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Missing_file_is_404_and_directory_is_400()
    {
        await PutAsync("dir/f", [1]);
        await AssertErrorAsync(await Client.GetAsync(Url("dir/none")), HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        await AssertErrorAsync(await Client.GetAsync(Url("dir")), HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Listing_rules()
    {
        await PutAsync("0/run/artifacts/model/MLmodel", [1, 2, 3]);
        await PutAsync("0/run/artifacts/model/weights.bin", [1, 2]);
        await PutAsync("0/run/artifacts/model/empty.txt", []);
        await PutAsync("0/run/artifacts/model/data/x", [1]);
        await PutAsync("0/run/artifacts/B.txt", [1]);
        await PutAsync("0/run/artifacts/a.txt", [1]);
        await PutAsync("0/top.txt", [1]); // s3rver only reports prefixes that hold an object directly

        var model = await ListAsync("0/run/artifacts/model");
        Assert.Equal(
            """{"files":[{"path":"MLmodel","is_dir":false,"file_size":3},{"path":"data","is_dir":true},{"path":"empty.txt","is_dir":false},{"path":"weights.bin","is_dir":false,"file_size":2}]}""",
            model.GetRawText());

        var top = await ListAsync("0/run/artifacts");
        Assert.Equal(["B.txt", "a.txt", "model"], top.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()));

        Assert.Equal("{}", (await ListAsync("0/run/artifacts/model/MLmodel")).GetRawText());
        Assert.Equal("{}", (await ListAsync("0/run/nothing-here")).GetRawText());
        Assert.Equal(["0"], (await ListAsync(null)).GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()));
        Assert.Equal(["0"], (await ListAsync("")).GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()));
    }

    [Fact]
    public async Task Delete_file_and_directory()
    {
        await PutAsync("del/a/1", [1]);
        await PutAsync("del/a/sub/2", [1]);
        await PutAsync("del/b", [1]);

        var request = new HttpRequestMessage(HttpMethod.Delete, Url("del/a")) { Content = new StringContent("{\"path\":\"ignored\"}", Encoding.UTF8, "application/json") };
        using (var response = await Client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("{}", await response.Content.ReadAsStringAsync());
        }

        using (var response = await Client.DeleteAsync(Url("del/b")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal("{}", (await ListAsync("del")).GetRawText());
    }

    [Fact]
    public async Task Ajax_prefix_serves_the_same_endpoints()
    {
        using var put = await Client.PutAsync("ajax-api/2.0/mlflow-artifacts/artifacts/ajax/f.txt", new ByteArrayContent([7]));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal([7], await GetAsync("ajax/f.txt"));
        using var list = await Client.GetAsync("ajax-api/2.0/mlflow-artifacts/artifacts?path=ajax");
        Assert.Contains("\"f.txt\"", await list.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Interrupted_upload_leaves_nothing_visible()
    {
        await PutAsync("cut/existing.bin", [1, 2, 3]);

        foreach (var (path, sent) in new[] { ("cut/existing.bin", 12 << 20), ("cut/new.bin", 12 << 20), ("cut/small.bin", 100) })
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(Server.BaseAddress.Host, Server.BaseAddress.Port);
            var stream = tcp.GetStream();
            var head = $"PUT /{Url(path)} HTTP/1.1\r\nHost: {Server.BaseAddress.Authority}\r\nContent-Length: {50 << 20}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            var chunk = TestStreams.Bytes(1 << 16, 9);
            for (var written = 0; written < sent; written += chunk.Length)
            {
                await stream.WriteAsync(chunk.AsMemory(0, Math.Min(chunk.Length, sent - written)));
            }

            await stream.FlushAsync();
            await Task.Delay(50);
            tcp.Client.LingerState = new LingerOption(true, 0);
            tcp.Close(); // reset mid-body
        }

        await Task.Delay(100);
        await Server.WaitIdleAsync();

        Assert.Equal([1, 2, 3], await GetAsync("cut/existing.bin"));
        Assert.Equal(["existing.bin"], (await ListAsync("cut")).GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()));
        await AssertErrorAsync(await Client.GetAsync(Url("cut/new.bin")), HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        if (UnfinishedUploads() is { } leftovers)
        {
            Assert.Equal(0, leftovers);
        }
    }

    [Fact]
    public async Task Multipart_upload_through_the_proxy()
    {
        var parts = new[] { TestStreams.Bytes(5 << 20, 1), TestStreams.Bytes(5 << 20, 2), TestStreams.Bytes(777, 3) };
        using var create = await Client.PostAsync("api/2.0/mlflow-artifacts/mpu/create/0/r/artifacts/model",
            JsonBody(new { path = "/home/me/local/weights.bin", num_parts = 3 }));
        Assert.Equal(HttpStatusCode.OK, create.StatusCode);
        var created = JsonDocument.Parse(await create.Content.ReadAsStringAsync()).RootElement;
        var uploadId = created.GetProperty("upload_id").GetString()!;
        var credentials = created.GetProperty("credentials").EnumerateArray().ToList();
        Assert.Equal([1, 2, 3], credentials.Select(c => c.GetProperty("part_number").GetInt64()));

        var etags = new List<object>();
        foreach (var (credential, i) in credentials.Select((c, i) => (c, i)))
        {
            // The client sends parts to the URL as given, with plain requests (no base address).
            using var raw = new HttpClient();
            using var put = await raw.PutAsync(credential.GetProperty("url").GetString(), new ByteArrayContent(parts[i]));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            etags.Add(new { part_number = i + 1, etag = put.Headers.ETag!.Tag, url = credential.GetProperty("url").GetString() });
        }

        await AssertErrorAsync(await Client.GetAsync(Url("0/r/artifacts/model/weights.bin")), HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");

        using var complete = await Client.PostAsync("api/2.0/mlflow-artifacts/mpu/complete/0/r/artifacts/model",
            JsonBody(new { path = "/home/me/local/weights.bin", upload_id = uploadId, parts = etags }));
        Assert.Equal(HttpStatusCode.OK, complete.StatusCode);
        Assert.Equal("{}", await complete.Content.ReadAsStringAsync());

        byte[] expected = [.. parts[0], .. parts[1], .. parts[2]];
        Assert.Equal(expected, await GetAsync("0/r/artifacts/model/weights.bin"));
    }

    [Fact]
    public async Task Multipart_abort_and_bad_requests()
    {
        using var create = await Client.PostAsync("api/2.0/mlflow-artifacts/mpu/create/mp", JsonBody(new { path = "C:\\Users\\me\\f.bin", num_parts = "1" }));
        Assert.Equal(HttpStatusCode.OK, create.StatusCode);
        var created = JsonDocument.Parse(await create.Content.ReadAsStringAsync()).RootElement;
        var uploadId = created.GetProperty("upload_id").GetString()!;
        Assert.Contains("/mpu/part/mp/f.bin?", created.GetProperty("credentials")[0].GetProperty("url").GetString());

        using var abort = await Client.PostAsync("api/2.0/mlflow-artifacts/mpu/abort/mp", JsonBody(new { path = "f.bin", upload_id = uploadId }));
        Assert.Equal(HttpStatusCode.OK, abort.StatusCode);
        await AssertErrorAsync(await Client.GetAsync(Url("mp/f.bin")), HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");

        await AssertErrorAsync(await Client.PostAsync("api/2.0/mlflow-artifacts/mpu/create/mp", JsonBody(new { num_parts = 1 })), HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        await AssertErrorAsync(await Client.PostAsync("api/2.0/mlflow-artifacts/mpu/create/mp", JsonBody(new { path = "f", num_parts = 0 })), HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        await AssertErrorAsync(await Client.PostAsync("api/2.0/mlflow-artifacts/mpu/create/mp", new StringContent("{not json", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        await AssertErrorAsync(await Client.PostAsync("api/2.0/mlflow-artifacts/mpu/create/mp", JsonBody(new { path = "..", num_parts = 1 })), HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "Invalid path");
        await AssertErrorAsync(await Client.PostAsync("api/2.0/mlflow-artifacts/mpu/create/..%2F..%2Fx", JsonBody(new { path = "f", num_parts = 1 })), HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "Invalid path");
        await AssertErrorAsync(await Client.PostAsync("api/2.0/mlflow-artifacts/mpu/complete/mp", JsonBody(new { path = "f.bin", upload_id = uploadId })), HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    protected static StringContent JsonBody(object value) =>
        new(JsonSerializer.Serialize(value), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
}
