using System.Net;
using System.Text.Json;

namespace Strata.Tests.Artifacts;

/// <summary>Every traversal vector of mlflow-artifacts.md §5 against a local destination with a secret beside it.</summary>
public sealed class ProxyPathSafetyTests : IAsyncLifetime
{
    private readonly string _base = Path.Join(Path.GetTempPath(), "strata-safety-" + Guid.NewGuid().ToString("N"));
    private ArtifactTestServer _server = null!;

    private string Root => Path.Join(_base, "a", "root");

    /// <summary>Vectors that name something outside the root wherever they appear in a path.</summary>
    public static TheoryData<string> NestedVectors => new()
    {
        "../../x",
        "../../../secret.txt",
        "%2e%2e/%2e%2e/x",
        "%252e%252e%252f%252e%252e%252fx",
        "..%2f..%2fsecret.txt",
        "a/%2e%2e/%2e%2e/%2e%2e/x",
        "a%5C..%5C..%5Cx",
        "..\\..\\x",
    };

    /// <summary>Vectors of §5 as the whole path (absolute forms are only absolute at the start).</summary>
    public static TheoryData<string> Vectors => new()
    {
        "../x",
        "../../secret.txt",
        "a/../../x",
        "a/../b",
        "%2e%2e/x",
        "%2E%2E%2Fsecret.txt",
        "%252e%252e%252fx",
        "%252e%252e/%252e%252e/secret.txt",
        "..%2f..%2fsecret.txt",
        "a/%2e%2e/%2e%2e/x",
        "/etc/passwd",
        "%2Fetc%2Fpasswd",
        "C:/x",
        "c:%5Cx",
        "a\\b",
        "a%5Cb",
        "%5C%5Cserver%5Cshare",
        "a%23b",
        "a%00b",
        "a%0ab",
        "a%7Fb",
        "file:%2F%2F%2Fetc%2Fpasswd",
    };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Root);
        File.WriteAllText(Path.Join(_base, "a", "secret.txt"), "secret");
        File.WriteAllText(Path.Join(_base, "secret.txt"), "secret");
        Directory.CreateDirectory(Path.Join(_base, "outside"));
        File.WriteAllText(Path.Join(_base, "outside", "secret.txt"), "secret");
        _server = await ArtifactTestServer.StartAsync(o =>
        {
            o.ArtifactsDestination = Root;
            o.SyncLocalWrites = false;
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_base, recursive: true);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public async Task Vector_is_refused_by_every_endpoint_and_touches_nothing(string vector)
    {
        var before = Snapshot();
        var requests = new (HttpMethod Method, string Path, HttpContent? Body)[]
        {
            (HttpMethod.Put, "api/2.0/mlflow-artifacts/artifacts/" + vector, new ByteArrayContent([1, 2, 3])),
            (HttpMethod.Get, "api/2.0/mlflow-artifacts/artifacts/" + vector, null),
            (HttpMethod.Delete, "api/2.0/mlflow-artifacts/artifacts/" + vector, null),
            (HttpMethod.Put, "ajax-api/2.0/mlflow-artifacts/artifacts/" + vector, new ByteArrayContent([1])),
            (HttpMethod.Post, "api/2.0/mlflow-artifacts/mpu/create/" + vector, new StringContent("""{"path":"f","num_parts":1}""")),
        };

        foreach (var (method, path, body) in requests)
        {
            using var response = await _server.SendRawAsync(method, path, body);
            await AssertRefusedAsync(response, $"{method} {path}");
        }

        // A query value is not normalised by Kestrel: always the MLflow answer.
        using var list = await _server.SendRawAsync(HttpMethod.Get, "api/2.0/mlflow-artifacts/artifacts?path=" + vector);
        await AssertInvalidPathAsync(list);

        Assert.Equal(before, Snapshot());
    }

    [Theory]
    [MemberData(nameof(NestedVectors))]
    public async Task Nested_vector_is_refused_and_touches_nothing(string vector)
    {
        var before = Snapshot();
        foreach (var prefix in new[] { "api/2.0/mlflow-artifacts/artifacts/0/r/", "api/2.0/mlflow-artifacts/mpu/create/0/r/" })
        {
            var method = prefix.Contains("mpu", StringComparison.Ordinal) ? HttpMethod.Post : HttpMethod.Put;
            HttpContent body = method == HttpMethod.Post ? new StringContent("""{"path":"f","num_parts":1}""") : new ByteArrayContent([1]);
            using var response = await _server.SendRawAsync(method, prefix + vector, body);
            await AssertRefusedAsync(response, prefix + vector);
        }

        using var get = await _server.SendRawAsync(HttpMethod.Get, "api/2.0/mlflow-artifacts/artifacts/0/r/" + vector);
        await AssertRefusedAsync(get, "GET " + vector);
        using var delete = await _server.SendRawAsync(HttpMethod.Delete, "api/2.0/mlflow-artifacts/artifacts/0/r/" + vector);
        await AssertRefusedAsync(delete, "DELETE " + vector);
        using var list = await _server.SendRawAsync(HttpMethod.Get, "api/2.0/mlflow-artifacts/artifacts?path=0/r/" + vector);
        await AssertInvalidPathAsync(list);
        // The body path is the client's own file; only its base name is used, so this may succeed, inside the root.
        using var mpuBody = await _server.SendRawAsync(HttpMethod.Post, "api/2.0/mlflow-artifacts/mpu/create/0/r", new StringContent("{\"path\":\"" + vector.Replace("\\", "\\\\", StringComparison.Ordinal) + "\",\"num_parts\":1}"));

        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public async Task Dot_segments_inside_an_artifact_path_are_400_not_resolved()
    {
        using var response = await _server.SendRawAsync(HttpMethod.Put, "api/2.0/mlflow-artifacts/artifacts/x/y/../z", new ByteArrayContent([1]));
        await AssertInvalidPathAsync(response);
        Assert.False(File.Exists(Path.Join(Root, "x", "z")));
    }

    [Fact]
    public async Task Symlink_escape_is_refused()
    {
        Directory.CreateDirectory(Path.Join(Root, "0"));
        File.WriteAllText(Path.Join(Root, "0", "ok.txt"), "ok");
        Directory.CreateSymbolicLink(Path.Join(Root, "0", "escape"), Path.Join(_base, "outside"));
        var before = Snapshot();

        await AssertInvalidPathAsync(await _server.SendRawAsync(HttpMethod.Put, "api/2.0/mlflow-artifacts/artifacts/0/escape/planted.txt", new ByteArrayContent([1])));
        await AssertInvalidPathAsync(await _server.SendRawAsync(HttpMethod.Put, "api/2.0/mlflow-artifacts/artifacts/0/escape/secret.txt", new ByteArrayContent([1])));
        await AssertInvalidPathAsync(await _server.SendRawAsync(HttpMethod.Get, "api/2.0/mlflow-artifacts/artifacts/0/escape/secret.txt"));
        await AssertInvalidPathAsync(await _server.SendRawAsync(HttpMethod.Delete, "api/2.0/mlflow-artifacts/artifacts/0/escape/secret.txt"));
        await AssertInvalidPathAsync(await _server.SendRawAsync(HttpMethod.Get, "api/2.0/mlflow-artifacts/artifacts?path=0/escape"));

        using var listing = await _server.SendRawAsync(HttpMethod.Get, "api/2.0/mlflow-artifacts/artifacts?path=0");
        Assert.Equal("""{"files":[{"path":"ok.txt","is_dir":false,"file_size":2}]}""", await listing.Content.ReadAsStringAsync());
        Assert.Equal(before, Snapshot());
        Assert.Equal("secret", File.ReadAllText(Path.Join(_base, "outside", "secret.txt")));
    }

    [Theory]
    [InlineData("0/abc/artifacts/model/MLmodel")]
    [InlineData("a/..b/c")]
    public async Task Safe_paths_of_the_spec_are_accepted(string path)
    {
        using var put = await _server.SendRawAsync(HttpMethod.Put, "api/2.0/mlflow-artifacts/artifacts/" + path, new ByteArrayContent([1]));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.True(File.Exists(Path.Join(Root, path)));
    }

    /// <summary>
    /// 400 "Invalid path", or 404 where Kestrel resolved leading dot segments before routing so that the
    /// request no longer reaches an artifact endpoint at all.
    /// </summary>
    private static async Task AssertRefusedAsync(HttpResponseMessage response, string request)
    {
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            // No artifact endpoint matched: an empty 404, or the server's ENDPOINT_NOT_FOUND body.
            var notFound = await response.Content.ReadAsStringAsync();
            Assert.True(notFound.Length == 0 || notFound.Contains("ENDPOINT_NOT_FOUND", StringComparison.Ordinal), request);
            return;
        }

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{request}: {response.StatusCode}");
        var text = await response.Content.ReadAsStringAsync();
        if (response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            var body = JsonDocument.Parse(text).RootElement;
            Assert.Equal("INVALID_PARAMETER_VALUE", body.GetProperty("error_code").GetString());
            Assert.Equal("Invalid path", body.GetProperty("message").GetString());
        }
    }

    private static async Task AssertInvalidPathAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("INVALID_PARAMETER_VALUE", body.GetProperty("error_code").GetString());
        Assert.Equal("Invalid path", body.GetProperty("message").GetString());
    }

    /// <summary>Every file under the test folder with its content, so any write or delete shows up.</summary>
    private string Snapshot() => string.Join('\n', Directory
        .EnumerateFiles(_base, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
        .Where(f => !f.Contains(Path.DirectorySeparatorChar + ".tmp", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .Select(f => f + "=" + File.ReadAllText(f)));
}
