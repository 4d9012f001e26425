using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Strata.Server.Tests.Ui;

/// <summary>
/// A small OpenID provider on 127.0.0.1 (a real protocol peer for Strata's OpenID Connect handler): discovery, a JWKS
/// with an RSA key, an authorize endpoint that "signs in" <see cref="NextUser"/> and redirects back with a code, and a
/// token endpoint that checks the client secret, the redirect URI and the PKCE verifier before returning a signed id_token.
/// </summary>
public sealed class TestOpenIdProvider : IAsyncDisposable
{
    public const string ClientId = "strata-ui";
    public const string ClientSecret = "provider-client-secret";

    private readonly WebApplication _app;
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly RsaSecurityKey _key;
    private readonly ConcurrentDictionary<string, Grant> _codes = new();

    private TestOpenIdProvider(WebApplication app, Uri issuer)
    {
        _app = app;
        Issuer = issuer;
        _key = new RsaSecurityKey(_rsa) { KeyId = "test-key-1" };
    }

    public Uri Issuer { get; private set; }

    /// <summary>The claims of the user who signs in at the next authorize request.</summary>
    public IDictionary<string, object> NextUser { get; set; } = new Dictionary<string, object> { ["sub"] = "u-1" };

    /// <summary>Token requests that passed every check (the code was redeemed with a matching PKCE verifier).</summary>
    public int RedeemedCodes => _redeemed;

    /// <summary>Every authorize request's query, for the tests' look at what Strata sent.</summary>
    public ConcurrentQueue<IQueryCollection> AuthorizeRequests { get; } = new();

    private int _redeemed;

    public static async Task<TestOpenIdProvider> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var provider = new TestOpenIdProvider(app, new Uri("http://127.0.0.1/"));
        app.MapGet("/.well-known/openid-configuration", provider.Discovery);
        app.MapGet("/jwks", provider.Jwks);
        app.MapGet("/authorize", provider.Authorize);
        app.MapPost("/token", provider.TokenAsync);
        await app.StartAsync();
        var address = app.Urls.First();
        provider.Issuer = new Uri(address.TrimEnd('/'));
        return provider;
    }

    public string Authority => Issuer.ToString().TrimEnd('/');

    private IResult Discovery() => Results.Json(new Dictionary<string, object>
    {
        ["issuer"] = Authority,
        ["authorization_endpoint"] = Authority + "/authorize",
        ["token_endpoint"] = Authority + "/token",
        ["jwks_uri"] = Authority + "/jwks",
        ["response_types_supported"] = new[] { "code" },
        ["subject_types_supported"] = new[] { "public" },
        ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        ["code_challenge_methods_supported"] = new[] { "S256" },
        ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_post", "client_secret_basic" },
    });

    private IResult Jwks()
    {
        var p = _rsa.ExportParameters(false);
        return Results.Json(new
        {
            keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = _key.KeyId, n = Base64UrlEncoder.Encode(p.Modulus), e = Base64UrlEncoder.Encode(p.Exponent) } },
        });
    }

    private IResult Authorize(HttpRequest request)
    {
        AuthorizeRequests.Enqueue(request.Query);
        string? Q(string name) => request.Query[name].FirstOrDefault();
        if (Q("client_id") != ClientId || Q("response_type") != "code" || Q("code_challenge_method") != "S256"
            || Q("code_challenge") is not { Length: > 0 } challenge || Q("redirect_uri") is not { Length: > 0 } redirect
            || !(Q("scope") ?? "").Split(' ').Contains("openid"))
        {
            return Results.BadRequest("invalid authorization request");
        }

        var code = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        _codes[code] = new Grant(redirect, challenge, Q("nonce"), new Dictionary<string, object>(NextUser));
        var back = $"{redirect}?code={code}&state={Uri.EscapeDataString(Q("state") ?? "")}&iss={Uri.EscapeDataString(Authority)}";
        return Results.Redirect(back);
    }

    private async Task<IResult> TokenAsync(HttpRequest request)
    {
        var form = await request.ReadFormAsync();
        var (clientId, secret) = ClientCredentials(request, form);
        if (clientId != ClientId || secret != ClientSecret)
        {
            return Results.Json(new { error = "invalid_client" }, statusCode: 401);
        }

        if (form["grant_type"] != "authorization_code" || form["code"].FirstOrDefault() is not { } code || !_codes.TryRemove(code, out var grant)
            || form["redirect_uri"] != grant.RedirectUri
            || form["code_verifier"].FirstOrDefault() is not { } verifier
            || Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) != grant.Challenge)
        {
            return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
        }

        Interlocked.Increment(ref _redeemed);
        var claims = new Dictionary<string, object>(grant.Claims);
        if (grant.Nonce is not null)
        {
            claims["nonce"] = grant.Nonce;
        }

        var now = DateTime.UtcNow;
        var idToken = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Authority,
            Audience = ClientId,
            Claims = claims,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(5),
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
        });
        return Results.Json(new { access_token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)), token_type = "Bearer", expires_in = 300, id_token = idToken });
    }

    private static (string? Id, string? Secret) ClientCredentials(HttpRequest request, IFormCollection form)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..])).Split(':', 2);
            return (Uri.UnescapeDataString(pair[0]), pair.Length > 1 ? Uri.UnescapeDataString(pair[1]) : null);
        }

        return (form["client_id"].FirstOrDefault(), form["client_secret"].FirstOrDefault());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _rsa.Dispose();
    }

    private sealed record Grant(string RedirectUri, string Challenge, string? Nonce, Dictionary<string, object> Claims);
}
