using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Strata.Server.Hosting;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Security;

public sealed class TlsTests
{
    [Fact]
    public async Task With_a_pem_certificate_and_key_the_server_speaks_https_with_hsts()
    {
        var directory = Directory.CreateTempSubdirectory("strata-tls-").FullName;
        try
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            var certPath = Path.Combine(directory, "cert.pem");
            var keyPath = Path.Combine(directory, "key.pem");
            await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());

            await using var server = await StrataTestServer.StartAsync(o =>
            {
                o.Security.TlsCertPath = certPath;
                o.Security.TlsKeyPath = keyPath;
            });
            Assert.Equal("https", server.BaseAddress.Scheme);
            using var handler = new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == certificate.Thumbprint,
            };
            using var client = new HttpClient(handler) { BaseAddress = server.BaseAddress };
            using var health = await client.GetAsync("/health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal("max-age=31536000", SecurityHeadersTests.Header(health, "Strict-Transport-Security"));
            using var search = await client.GetAsync("/api/2.0/mlflow/experiments/search?max_results=1");
            Assert.Equal(HttpStatusCode.OK, search.StatusCode);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_certificate_without_its_key_or_an_unreadable_one_is_a_one_line_configuration_error()
    {
        var half = new StrataServerOptions();
        half.Security.TlsCertPath = "/etc/hostname";
        var e = Assert.Throws<StrataConfigurationException>(half.Validate);
        Assert.Contains("--tls-cert and --tls-key", e.Message, StringComparison.Ordinal);

        var directory = Directory.CreateTempSubdirectory("strata-tls-").FullName;
        try
        {
            var junk = Path.Combine(directory, "junk.pem");
            await File.WriteAllTextAsync(junk, "not a certificate");
            var bad = await Assert.ThrowsAsync<StrataConfigurationException>(() => StrataTestServer.StartAsync(o =>
            {
                o.Security.TlsCertPath = junk;
                o.Security.TlsKeyPath = junk;
            }));
            Assert.StartsWith("--tls-cert/--tls-key", bad.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', bad.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
