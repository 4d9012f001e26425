using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Core.Auth;
using Strata.Core.Errors;
using Strata.Server.Wire;

namespace Strata.Server.Auth;

/// <summary>
/// HTTP Basic (what MLflow's client sends for <c>MLFLOW_TRACKING_USERNAME</c>/<c>PASSWORD</c>) and Bearer tokens
/// (<c>MLFLOW_TRACKING_TOKEN</c>). Verified credentials are cached (<see cref="CredentialCache"/>); failures feed the
/// <see cref="LoginThrottle"/>. Challenges answer 401 UNAUTHENTICATED with <c>WWW-Authenticate: Basic</c> so a browser
/// prompts; forbids answer 403 PERMISSION_DENIED; both in MLflow's error JSON. Nothing secret is ever logged.
/// </summary>
public sealed partial class StrataAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    AuthService auth,
    CredentialCache cache,
    LoginThrottle throttle,
    AuthVersionMonitor versions,
    IOptions<Hosting.StrataServerOptions> serverOptions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    private const string RetryAfterItem = "strata.auth.retry-after";
    private const string FailureItem = "strata.auth.failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        var ct = Context.RequestAborted;
        var version = await versions.CurrentAsync(ct).ConfigureAwait(false);
        var key = CredentialCache.Key(header);
        if (cache.Get(key, version) is { } known)
        {
            Context.Items[typeof(StrataUser)] = known.User;
            return AuthenticateResult.Success(new AuthenticationTicket(known.Principal, StrataUser.Scheme));
        }

        var address = Context.Connection.RemoteIpAddress?.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            if (!TryDecodeBasic(header.AsSpan(6).Trim(), out var username, out var password))
            {
                return Fail("The Authorization header is not valid HTTP basic credentials.");
            }

            if (throttle.RetryAfter(username, address) is { } wait)
            {
                return Locked(wait);
            }

            var user = await auth.VerifyPasswordAsync(username, password, ct).ConfigureAwait(false);
            if (user is null)
            {
                throttle.Failed(username, address);
                LogFailedSignIn(Logger, username.Any(char.IsControl) ? "(unprintable)" : username, address);
                return Fail("Invalid username or password.");
            }

            throttle.Succeeded(username);
            var principal = StrataUser.Of(user, null);
            cache.Add(key, principal, version, null);
            return Success(principal);
        }

        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var secret = header[7..].Trim();
            if (IsInternal(secret))
            {
                return Success(Internal);
            }

            if (throttle.RetryAfter(null, address) is { } wait)
            {
                return Locked(wait);
            }

            var owner = secret.Length == 0 ? null : await auth.VerifyTokenAsync(secret, ct).ConfigureAwait(false);
            if (owner is null)
            {
                throttle.Failed(null, address);
                LogFailedToken(Logger, address);
                return Fail("Invalid, expired or revoked token.");
            }

            var principal = StrataUser.Of(owner.User, owner.Token);
            cache.Add(key, principal, version, owner.Token.ExpirationTimestamp is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null);
            return Success(principal);
        }

        return Fail("Unsupported Authorization scheme: use Basic or Bearer.");
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[RetryAfterItem] is TimeSpan wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return WireErrors.WriteAsync(Context, ErrorCode.REQUEST_LIMIT_EXCEEDED, "Too many failed sign-in attempts; try again later.",
                headers: new Dictionary<string, string> { ["Retry-After"] = seconds });
        }

        var reason = Context.Items[FailureItem] as string ?? "You are not authenticated: send HTTP basic credentials or a bearer token.";
        return WireErrors.WriteAsync(Context, ErrorCode.UNAUTHENTICATED, reason,
            headers: new Dictionary<string, string> { ["WWW-Authenticate"] = "Basic realm=\"Strata\", charset=\"UTF-8\"" });
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WireErrors.WriteAsync(Context, ErrorCode.PERMISSION_DENIED, properties.Items.TryGetValue("message", out var m) && m is not null ? m : "Permission denied.");

    /// <summary>The server calling itself (model resolution for deployments): an admin that is no stored user.</summary>
    private static readonly StrataUser Internal = new(0, "strata-internal", IsAdmin: true, Deployment: null);

    private bool IsInternal(string secret) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(serverOptions.Value.Auth.InternalSecret));

    private AuthenticateResult Success(StrataUser user)
    {
        Context.Items[typeof(StrataUser)] = user;
        return AuthenticateResult.Success(new AuthenticationTicket(user.ToPrincipal(), StrataUser.Scheme));
    }

    private AuthenticateResult Fail(string message)
    {
        Context.Items[FailureItem] = message;
        return AuthenticateResult.Fail(message);
    }

    private AuthenticateResult Locked(TimeSpan wait)
    {
        Context.Items[RetryAfterItem] = wait;
        return AuthenticateResult.Fail("Too many failed sign-in attempts.");
    }

    private static bool TryDecodeBasic(ReadOnlySpan<char> encoded, out string username, out string password)
    {
        username = password = "";
        var bytes = new byte[(encoded.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64Chars(encoded, bytes, out var length))
        {
            return false;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        finally
        {
            Array.Clear(bytes);
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        username = text[..colon];
        password = text[(colon + 1)..];
        return true;
    }

    // Usernames are logged (they are what an operator needs); passwords and tokens never are.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed sign-in for user {Username} from {Address}")]
    private static partial void LogFailedSignIn(ILogger logger, string username, string? address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected bearer token from {Address}")]
    private static partial void LogFailedToken(ILogger logger, string? address);
}
