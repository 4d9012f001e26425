using System.Net;
using Strata.Core.Auth;
using Microsoft.Extensions.DependencyInjection;
using Strata.Server.Hosting;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Auth;

/// <summary>Who gets in: anonymous, wrong passwords, tokens (valid, revoked, expired, scoped), backoff, bootstrap.</summary>
public class AuthenticationTests(AuthServerFixture fixture) : IClassFixture<AuthServerFixture>
{
    private AuthTestServer Auth => fixture.Auth;

    [Fact]
    public async Task Anonymous_callers_get_401_with_a_basic_challenge_but_health_stays_open()
    {
        var (status, response, text) = await Auth.Anonymous.RawAsync(HttpMethod.Get, "/api/2.0/mlflow/experiments/get?experiment_id=0");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("Basic", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"UNAUTHENTICATED\"", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await Auth.Anonymous.RawAsync(HttpMethod.Get, "/health")).Status);
        (await Auth.Anonymous.PostAsync("/api/2.0/mlflow/experiments/create", new { name = "anon" })).IsError(HttpStatusCode.Unauthorized, "UNAUTHENTICATED");
        (await Auth.Anonymous.GetAsync("/api/2.0/mlflow/registered-models/search")).IsError(HttpStatusCode.Unauthorized, "UNAUTHENTICATED");
        (await Auth.Anonymous.GetAsync("/api/2.0/mlflow-artifacts/artifacts/0/x.txt")).IsError(HttpStatusCode.Unauthorized, "UNAUTHENTICATED");
    }

    [Fact]
    public async Task Wrong_passwords_unknown_users_and_garbage_headers_get_401()
    {
        await Auth.UserAsync("wrong-pw-user", "the-right-one");
        (await Auth.Basic("wrong-pw-user", "not-the-right-one").GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0"))
            .IsError(HttpStatusCode.Unauthorized, "UNAUTHENTICATED");
        (await Auth.Basic("no-such-user", "whatever-1").GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0"))
            .IsError(HttpStatusCode.Unauthorized, "UNAUTHENTICATED");
        (await Auth.Bearer("strata_not-a-token").GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0"))
            .IsError(HttpStatusCode.Unauthorized, "UNAUTHENTICATED");
        foreach (var garbage in new[] { "Basic %%%not-base64", "Basic " + Convert.ToBase64String([0xff, 0x3a, 0x41]), "Digest x", "Bearer " })
        {
            (await Auth.RawAuthorization(garbage).GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0"))
                .IsError(HttpStatusCode.Unauthorized, "UNAUTHENTICATED");
        }
        (await Auth.Basic("wrong-pw-user", "the-right-one").GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0")).Ok();
    }

    [Fact]
    public async Task A_token_works_as_bearer_until_revoked_and_its_secret_is_shown_once()
    {
        var user = await Auth.UserAsync("token-user");
        var created = (await user.PostAsync("/api/2.0/strata/tokens", new { name = "ci" })).Ok();
        var secret = created.GetProperty("secret").GetString()!;
        var id = created.GetProperty("token").GetProperty("id").GetString()!;
        var bearer = Auth.Bearer(secret);
        (await bearer.GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0")).Ok();

        var listed = (await user.GetAsync("/api/2.0/strata/tokens")).Ok().GetRawText();
        Assert.Contains(id, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, listed, StringComparison.Ordinal);

        (await user.DeleteAsync("/api/2.0/strata/tokens/" + id)).Ok();
        (await bearer.GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0")).IsError(HttpStatusCode.Unauthorized, "UNAUTHENTICATED");
    }

    [Fact]
    public async Task Expired_tokens_get_401_and_only_owners_or_admins_revoke_tokens()
    {
        var owner = await Auth.UserAsync("expiring-owner");
        var other = await Auth.UserAsync("expiring-other");
        var auth = Auth.Server.Services.GetRequiredService<AuthService>();
        var store = auth.Store;
        var user = (await store.GetUserAsync("expiring-owner", default))!;
        var secret = ApiTokenSecrets.NewSecret();
        var past = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds();
        await store.CreateTokenAsync("expired-token", ApiTokenSecrets.HashSecret(secret), user.Id, "old", null, past - 1000, past, default);
        (await Auth.Bearer(secret).GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0")).IsError(HttpStatusCode.Unauthorized, "UNAUTHENTICATED");

        var live = (await owner.PostAsync("/api/2.0/strata/tokens", new { name = "live", expires_in_days = 1 })).Ok();
        var id = live.GetProperty("token").GetProperty("id").GetString()!;
        Assert.True(live.GetProperty("token").GetProperty("expiration_timestamp").GetInt64() > DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        (await other.DeleteAsync("/api/2.0/strata/tokens/" + id)).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await other.PostAsync("/api/2.0/strata/tokens", new { name = "for-someone-else", username = "expiring-owner" }))
            .IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await Auth.Admin.DeleteAsync("/api/2.0/strata/tokens/" + id)).Ok();
        (await owner.PostAsync("/api/2.0/strata/tokens", new { name = "bad", expiration_timestamp = past })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task A_deployment_scoped_token_calls_nothing_but_its_deployment()
    {
        var user = await Auth.UserAsync("scoped-user");
        var created = (await user.PostAsync("/api/2.0/strata/tokens", new { name = "serve", deployment = "fraud" })).Ok();
        var bearer = Auth.Bearer(created.GetProperty("secret").GetString()!);
        (await bearer.GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0")).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await bearer.GetAsync("/api/2.0/strata/deployments/fraud")).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        // Its own deployment passes authorization (and then is unknown to serving: not 401/403).
        var (status, _, _) = await bearer.RawAsync(HttpMethod.Get, "/deployments/fraud/ping");
        Assert.NotEqual(HttpStatusCode.Unauthorized, status);
        Assert.NotEqual(HttpStatusCode.Forbidden, status);
        var (other, _, _) = await bearer.RawAsync(HttpMethod.Get, "/deployments/other/ping");
        Assert.Equal(HttpStatusCode.Forbidden, other);
    }

    [Fact]
    public async Task A_changed_password_takes_effect_at_once_despite_the_credential_cache()
    {
        var user = await Auth.UserAsync("changing-user", "first-password");
        (await user.GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0")).Ok(); // cached now
        (await user.PatchAsync("/api/2.0/mlflow/users/update-password", new { username = "changing-user", password = "second-password" })).Ok();
        (await user.GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0")).IsError(HttpStatusCode.Unauthorized, "UNAUTHENTICATED");
        (await Auth.Basic("changing-user", "second-password").GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0")).Ok();

        (await Auth.Admin.DeleteAsync("/api/2.0/mlflow/users/delete", new { username = "changing-user" })).Ok();
        (await Auth.Basic("changing-user", "second-password").GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0"))
            .IsError(HttpStatusCode.Unauthorized, "UNAUTHENTICATED");
    }

    [Fact]
    public async Task Repeated_failed_sign_ins_lock_the_user_out_for_a_while()
    {
        await using var auth = await AuthTestServer.StartAsync(o => o.Auth.FirstLockout = TimeSpan.FromMinutes(1));
        await auth.UserAsync("guessed", "real-password");
        var attacker = auth.Basic("guessed", "guess-0000");
        for (var i = 0; i < auth.Server.Options.Auth.MaxFailedLoginsPerUser; i++)
        {
            (await attacker.GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0")).IsError(HttpStatusCode.Unauthorized, "UNAUTHENTICATED");
        }

        // Locked: even the right password waits, and no password is checked meanwhile.
        var (status, response, text) = await auth.Basic("guessed", "real-password").RawAsync(HttpMethod.Get, "/api/2.0/mlflow/experiments/get?experiment_id=0");
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Contains("REQUEST_LIMIT_EXCEEDED", text, StringComparison.Ordinal);
        Assert.NotNull(response.Headers.RetryAfter);
        // Other users are not locked out.
        (await auth.Admin.GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0")).Ok();
    }

    [Fact]
    public async Task The_server_refuses_to_start_with_auth_and_no_admin()
    {
        var e = await Assert.ThrowsAsync<StrataConfigurationException>(() => StrataTestServer.StartAsync(o => o.Auth.Enabled = true));
        Assert.Contains("STRATA_ADMIN_USERNAME", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task Without_auth_the_server_stays_open_and_has_no_users_api()
    {
        await using var open = await StrataTestServer.StartAsync();
        (await open.GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0")).Ok();
        (await open.PostAsync("/api/2.0/mlflow/users/create", new { username = "x", password = "12345678" })).IsError(HttpStatusCode.NotFound, "ENDPOINT_NOT_FOUND");
    }
}
