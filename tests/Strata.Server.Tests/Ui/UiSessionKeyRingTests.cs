using System.Net;
using Strata.Server.Tests.Auth;

namespace Strata.Server.Tests.Ui;

/// <summary>
/// Replicas behind a load balancer: a session made on one server is accepted by another that reads the same Data
/// Protection key directory (<c>--data-protection-keys</c>), and by no server with keys of its own.
/// </summary>
public sealed class UiSessionKeyRingTests
{
    [Fact]
    public async Task A_session_made_on_one_replica_works_on_another_sharing_the_key_directory_only()
    {
        var keys = Directory.CreateTempSubdirectory("strata-keys-").FullName;
        var otherKeys = Directory.CreateTempSubdirectory("strata-keys-").FullName;
        try
        {
            // Each test server has its own database; the admin is user 1 in both, as on replicas of one database.
            await using var first = await AuthTestServer.StartAsync(o => o.Auth.DataProtectionKeysDirectory = keys);
            await using var second = await AuthTestServer.StartAsync(o => o.Auth.DataProtectionKeysDirectory = keys);
            await using var stranger = await AuthTestServer.StartAsync(o => o.Auth.DataProtectionKeysDirectory = otherKeys);

            using var browser = new UiBrowser(first.Server.BaseAddress);
            Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(AuthTestServer.AdminName, AuthTestServer.AdminPassword)).Status);
            Assert.NotEmpty(Directory.GetFiles(keys, "key-*.xml"));
            var session = browser.Cookies.GetCookies(first.Server.BaseAddress)[Strata.Server.Auth.UiSessions.CookieName]!.Value;

            async Task<HttpStatusCode> OpenAsync(Uri server)
            {
                using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = server };
                using var request = new HttpRequestMessage(HttpMethod.Get, "/experiments");
                request.Headers.Add("Cookie", $"{Strata.Server.Auth.UiSessions.CookieName}={session}");
                request.Headers.Accept.ParseAdd("text/html");
                using var response = await http.SendAsync(request);
                return response.StatusCode;
            }

            Assert.Equal(HttpStatusCode.OK, await OpenAsync(second.Server.BaseAddress));
            Assert.Equal(HttpStatusCode.Redirect, await OpenAsync(stranger.Server.BaseAddress));
        }
        finally
        {
            Directory.Delete(keys, recursive: true);
            Directory.Delete(otherKeys, recursive: true);
        }
    }
}
