using System.Text;
using Strata.Server.Tests.Hardening;

namespace Strata.Server.Tests.Auth;

/// <summary>
/// The route fuzz with <c>--auth</c> on, as a signed-in non-admin user (so every rule's resource lookup meets garbage
/// ids and bodies) and anonymously: still never a 5xx or a hang.
/// </summary>
public class AuthRouteFuzzTests(AuthServerFixture fixture) : IClassFixture<AuthServerFixture>
{
    [Fact]
    public async Task No_generated_request_from_a_signed_in_user_gets_a_5xx_or_hangs()
    {
        await fixture.Auth.UserAsync("fuzzer", "fuzzer-password");
        await RouteFuzzTests.FuzzAsync(fixture.Auth.Server, "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("fuzzer:fuzzer-password")));
    }

    [Fact]
    public Task No_generated_anonymous_request_gets_a_5xx_or_hangs() => RouteFuzzTests.FuzzAsync(fixture.Auth.Server, authorization: null);
}
