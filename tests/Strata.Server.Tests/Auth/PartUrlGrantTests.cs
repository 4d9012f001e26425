using System.Net;
using System.Text;
using System.Text.Json;

namespace Strata.Server.Tests.Auth;

/// <summary>
/// With <c>--auth</c>, multipart part URLs carry their own signed, expiring grant: a part is PUT with no credentials
/// (as MLflow's clients do), and a URL that is expired, tampered with or pointed at another part, upload or path is
/// refused with 403 PERMISSION_DENIED.
/// </summary>
public class PartUrlGrantTests(AuthServerFixture fixture) : IClassFixture<AuthServerFixture>
{
    private const string Mpu = "/api/2.0/mlflow-artifacts/mpu/";

    private AuthTestServer Auth => fixture.Auth;

    private static async Task<string> ExperimentAsync(Caller owner, string name) =>
        (await owner.PostAsync("/api/2.0/mlflow/experiments/create", new { name })).Ok().GetProperty("experiment_id").GetString()!;

    private static async Task<(string UploadId, List<string> Urls)> CreateAsync(Caller caller, string directory, int parts, string file = "/tmp/local/weights.bin")
    {
        var created = (await caller.PostAsync(Mpu + "create/" + directory, new { path = file, num_parts = parts })).Ok();
        return (created.GetProperty("upload_id").GetString()!,
            created.GetProperty("credentials").EnumerateArray().Select(c => c.GetProperty("url").GetString()!).ToList());
    }

    /// <summary>A PUT with no credentials at all, to the URL as given (what MLflow's clients do).</summary>
    private static async Task<(HttpStatusCode Status, string Text, string? ETag)> PutAsync(string url, byte[] body)
    {
        using var raw = new HttpClient();
        using var response = await raw.PutAsync(url, new ByteArrayContent(body));
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.ETag?.Tag);
    }

    private static void Denied((HttpStatusCode Status, string Text, string? ETag) put)
    {
        Assert.Equal(HttpStatusCode.Forbidden, put.Status);
        Assert.Equal("PERMISSION_DENIED", JsonDocument.Parse(put.Text).RootElement.GetProperty("error_code").GetString());
    }

    [Fact]
    public async Task Parts_upload_with_the_url_alone_and_the_upload_completes()
    {
        var owner = await Auth.UserAsync("mpu-owner");
        var exp = await ExperimentAsync(owner, "mpu-exp");
        var (uploadId, urls) = await CreateAsync(owner, $"{exp}/r1/artifacts", 2);
        Assert.All(urls, u => Assert.Contains("&signature=", u, StringComparison.Ordinal));

        byte[][] parts = [Encoding.ASCII.GetBytes(new string('a', 5 << 20)), Encoding.ASCII.GetBytes("tail")];
        var etags = new List<object>();
        for (var i = 0; i < 2; i++)
        {
            var put = await PutAsync(urls[i], parts[i]);
            Assert.True(put.Status == HttpStatusCode.OK, put.Text);
            etags.Add(new { part_number = i + 1, etag = put.ETag });
        }

        (await owner.PostAsync(Mpu + $"complete/{exp}/r1/artifacts", new { path = "/tmp/local/weights.bin", upload_id = uploadId, parts = etags })).Ok();
        var (status, response, _) = await owner.RawAsync(HttpMethod.Get, $"/api/2.0/mlflow-artifacts/artifacts/{exp}/r1/artifacts/weights.bin");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal((5 << 20) + 4, response.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task Tampered_or_misdirected_part_urls_are_refused()
    {
        var owner = await Auth.UserAsync("mpu-tamper");
        var exp = await ExperimentAsync(owner, "mpu-tamper-exp");
        var (uploadId, urls) = await CreateAsync(owner, $"{exp}/r2/artifacts", 2);
        var (otherUpload, otherUrls) = await CreateAsync(owner, $"{exp}/r2/artifacts", 1, "/tmp/other.bin");
        var body = Encoding.ASCII.GetBytes("part");
        var url = urls[0];

        Denied(await PutAsync(url.Replace("part_number=1", "part_number=2", StringComparison.Ordinal), body)); // another part
        Denied(await PutAsync(url.Replace("/weights.bin?", "/evil.bin?", StringComparison.Ordinal), body)); // another path
        Denied(await PutAsync(url.Replace(uploadId, otherUpload, StringComparison.Ordinal), body)); // another upload
        var expires = long.Parse(url.Split("expires=")[1].Split('&')[0], System.Globalization.CultureInfo.InvariantCulture);
        Denied(await PutAsync(url.Replace($"expires={expires}", $"expires={expires + 86_400}", StringComparison.Ordinal), body)); // a later expiry
        var signature = url.Split("signature=")[1];
        var flipped = (signature[0] == 'A' ? 'B' : 'A') + signature[1..];
        Denied(await PutAsync(url.Replace(signature, flipped, StringComparison.Ordinal), body)); // a forged signature
        Denied(await PutAsync(url[..url.IndexOf("&expires=", StringComparison.Ordinal)], body)); // no grant at all
        Denied(await PutAsync(otherUrls[0].Replace("/other.bin?", "/weights.bin?", StringComparison.Ordinal), body));

        // Credentials do not stand in for a grant, not even an admin's.
        var (status, _, _) = await Auth.Admin.RawAsync(HttpMethod.Put, url[..url.IndexOf("&expires=", StringComparison.Ordinal)], new ByteArrayContent(body));
        Assert.Equal(HttpStatusCode.Forbidden, status);

        // The untouched URL still works.
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(url, body)).Status);
    }

    [Fact]
    public async Task Expired_part_urls_are_refused()
    {
        // A lifetime in the past: every URL is expired the moment it is issued (no clock to wait for).
        await using var auth = await AuthTestServer.StartAsync(o => o.Auth.PartUrlLifetime = TimeSpan.FromSeconds(-1));
        var (_, urls) = await CreateAsync(auth.Admin, "0/r3/artifacts", 1);
        var put = await PutAsync(urls[0], Encoding.ASCII.GetBytes("late"));
        Denied(put);
        Assert.Contains("expired", put.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_editors_of_the_experiment_get_part_urls()
    {
        var owner = await Auth.UserAsync("mpu-private");
        var reader = await Auth.UserAsync("mpu-reader");
        var exp = await ExperimentAsync(owner, "mpu-private-exp");
        (await reader.PostAsync(Mpu + $"create/{exp}/r4/artifacts", new { path = "f.bin", num_parts = 1 })).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await Auth.Anonymous.PostAsync(Mpu + $"create/{exp}/r4/artifacts", new { path = "f.bin", num_parts = 1 })).IsError(HttpStatusCode.Unauthorized, "UNAUTHENTICATED");
    }

    [Fact]
    public async Task A_second_server_on_the_same_database_honours_the_first_ones_urls()
    {
        // Replicas share the signing key through the database.
        var (uploadId, urls) = await CreateAsync(Auth.Admin, "0/r5/artifacts", 1);
        await using var replica = await AuthTestServer.StartAsync(o =>
        {
            o.BackendStoreUri = Auth.Server.Options.BackendStoreUri;
            o.ArtifactsDestination = Auth.Server.Options.ArtifactsDestination;
        });
        var url = urls[0].Replace(Auth.Server.BaseAddress.GetLeftPart(UriPartial.Authority), replica.Server.BaseAddress.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal);
        var put = await PutAsync(url, Encoding.ASCII.GetBytes("from the replica"));
        Assert.True(put.Status == HttpStatusCode.OK, put.Text);
        (await replica.Admin.PostAsync(Mpu + "complete/0/r5/artifacts", new { path = "/tmp/local/weights.bin", upload_id = uploadId, parts = new[] { new { part_number = 1, etag = put.ETag } } })).Ok();
    }
}
