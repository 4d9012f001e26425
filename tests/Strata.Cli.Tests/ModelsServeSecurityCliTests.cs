using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Strata.Cli.Tests;

/// <summary>
/// <c>strata models serve</c> with the network flags of <c>strata server</c> and bearer tokens, as a process: probes stay
/// open, everything else needs a token, and the rate limit, body limit, headers and TLS apply.
/// </summary>
public sealed class ModelsServeSecurityCliTests
{
    private const string FileToken = "file-token-0123456789abcdef";
    private const string EnvToken = "env-token-0123456789abcdef";

    [Theory]
    [InlineData("--rate-limit", "models", "serve", "-m", "/tmp/x", "--rate-limit", "lots")]
    [InlineData("--max-data-body-size", "models", "serve", "-m", "/tmp/x", "--max-data-body-size", "big")]
    [InlineData("--x-frame-options", "models", "serve", "-m", "/tmp/x", "--x-frame-options", "ALLOW")]
    [InlineData("--tls-cert and --tls-key", "models", "serve", "-m", "/tmp/x", "--tls-cert", "/etc/hostname")]
    [InlineData("--cors-allowed-origins", "models", "serve", "-m", "/tmp/x", "--cors-allowed-origins", "not an origin")]
    [InlineData("--forwarded-allow-ips", "models", "serve", "-m", "/tmp/x", "--forwarded-allow-ips", "proxy.local")]
    [InlineData("--api-token-file", "models", "serve", "-m", "/tmp/x", "--api-token-file", "/nonexistent/tokens")]
    public async Task Bad_network_flags_exit_with_code_2_naming_the_flag(string mentions, params string[] args)
    {
        var (exitCode, _, stderr) = await CliProcess.RunAsync(args);
        Assert.Equal(2, exitCode);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains(mentions, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Short_tokens_and_bad_variables_are_refused_without_echoing_them()
    {
        using var cli = CliProcess.Start(["models", "serve", "-m", "/tmp/x"], new Dictionary<string, string> { ["STRATA_SERVE_TOKENS"] = "short-secret" });
        Assert.Equal(2, await cli.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("STRATA_SERVE_TOKENS", cli.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("short-secret", cli.Stderr, StringComparison.Ordinal);

        using var limit = CliProcess.Start(["models", "serve", "-m", "/tmp/x"], new Dictionary<string, string> { ["STRATA_RATE_LIMIT"] = "often" });
        Assert.Equal(2, await limit.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("STRATA_RATE_LIMIT", limit.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tokens_rate_limit_body_limit_and_headers_protect_a_served_model()
    {
        var directory = Directory.CreateTempSubdirectory("strata-cli-serve-sec-").FullName;
        try
        {
            var folder = await ModelsServeCliTests.SaveLineModelAsync(directory);
            var tokenFile = Path.Combine(directory, "tokens");
            await File.WriteAllTextAsync(tokenFile, $"# scoring clients\n{FileToken}\n\n");
            using var cli = CliProcess.Start(
                ["models", "serve", "-m", folder, "--port", "0", "--api-token-file", tokenFile, "--rate-limit", "3/m", "--max-data-body-size", "4KB", "--x-frame-options", "DENY"],
                new Dictionary<string, string> { ["STRATA_SERVE_TOKENS"] = EnvToken });
            var line = await cli.WaitForOutputAsync(l => l.Contains(" on http://", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            var address = new Uri(line[line.IndexOf("http://", StringComparison.Ordinal)..].Trim());
            using var anonymous = new HttpClient { BaseAddress = address };
            using var fromFile = Client(address, FileToken);
            using var fromEnv = Client(address, EnvToken);
            using var wrong = Client(address, "wrong-token-0123456789abcdef");

            // Probes need no token (and are never rate limited).
            for (var i = 0; i < 5; i++)
            {
                using var ping = await anonymous.GetAsync("/ping");
                Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
                Assert.Equal("DENY", ping.Headers.GetValues("X-Frame-Options").Single());
            }

            using (var live = await anonymous.GetAsync("/v2/health/live"))
            {
                Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            }

            // No token or a wrong one: 401 UNAUTHENTICATED with a Bearer challenge, on scoring, v2, metrics alike.
            foreach (var (client, path) in new[] { (anonymous, "/invocations"), (wrong, "/invocations"), (anonymous, "/v2/models/line/infer") })
            {
                using var refused = await client.PostAsync(path, Rows(3));
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
                Assert.Equal("UNAUTHENTICATED", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error_code").GetString());
                Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.Single().Scheme);
            }

            using (var metrics = await anonymous.GetAsync("/metrics"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, metrics.StatusCode);
            }

            // Either token scores; each token has its own rate budget of 3 a minute.
            for (var i = 0; i < 3; i++)
            {
                using var ok = await fromFile.PostAsync("/invocations", Rows(i));
                Assert.True(ok.IsSuccessStatusCode, await ok.Content.ReadAsStringAsync());
            }

            using (var limited = await fromFile.PostAsync("/invocations", Rows(4)))
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
                Assert.Contains("REQUEST_LIMIT_EXCEEDED", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            using (var other = await fromEnv.PostAsync("/invocations", Rows(5)))
            {
                Assert.True(other.IsSuccessStatusCode, await other.Content.ReadAsStringAsync());
            }

            // A body over --max-data-body-size is 413.
            var huge = "{\"dataframe_records\": [" + string.Join(",", Enumerable.Repeat("{\"X\": 1}", 1000)) + "]}";
            using (var tooLarge = await fromEnv.PostAsync("/invocations", new StringContent(huge, Encoding.UTF8, "application/json")))
            {
                Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
            }

            Assert.DoesNotContain(FileToken, cli.Stdout + cli.Stderr, StringComparison.Ordinal);
            cli.Signal("TERM");
            Assert.Equal(0, await cli.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Tls_flags_serve_https()
    {
        var directory = Directory.CreateTempSubdirectory("strata-cli-serve-tls-").FullName;
        try
        {
            var folder = await ModelsServeCliTests.SaveLineModelAsync(directory);
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            var certPath = Path.Combine(directory, "cert.pem");
            var keyPath = Path.Combine(directory, "key.pem");
            await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());

            using var cli = CliProcess.Start(["models", "serve", "-m", folder, "--port", "0"], new Dictionary<string, string>
            {
                ["STRATA_TLS_CERT"] = certPath, ["STRATA_TLS_KEY"] = keyPath,
            });
            var line = await cli.WaitForOutputAsync(l => l.Contains(" on https://", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == certificate.Thumbprint };
            using var https = new HttpClient(handler) { BaseAddress = new Uri(line[line.IndexOf("https://", StringComparison.Ordinal)..].Trim()) };
            using var scored = await https.PostAsync("/invocations", Rows(3));
            Assert.True(scored.IsSuccessStatusCode, await scored.Content.ReadAsStringAsync());
            Assert.True(scored.Headers.Contains("Strict-Transport-Security"));
            cli.Signal("TERM");
            Assert.Equal(0, await cli.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static HttpClient Client(Uri address, string token)
    {
        var client = new HttpClient { BaseAddress = address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static StringContent Rows(int x) => new($"{{\"dataframe_records\": [{{\"X\": {x}}}]}}", Encoding.UTF8, "application/json");
}
