using System.Globalization;
using System.Security.Claims;
using Strata.Core.Auth;

namespace Strata.Server.Auth;

/// <summary>
/// The authenticated caller as the authorization table sees it, read from (and written to) the claims of
/// <see cref="System.Security.Claims.ClaimsPrincipal"/>. <see cref="Deployment"/> is set for a token limited to one
/// deployment's serving endpoints.
/// </summary>
public sealed record StrataUser(long Id, string Username, bool IsAdmin, string? Deployment)
{
    public const string Scheme = "Strata";
    private const string IdClaim = "strata:user_id";
    private const string AdminClaim = "strata:admin";
    private const string DeploymentClaim = "strata:deployment";

    /// <summary>The caller of this request: the one the authentication handler put there, else read from the claims.</summary>
    public static StrataUser? Current(Microsoft.AspNetCore.Http.HttpContext context) =>
        context.Items.TryGetValue(typeof(StrataUser), out var known) && known is StrataUser user ? user : From(context.User);

    public static StrataUser? From(ClaimsPrincipal principal)
    {
        if (principal.Identity is not { IsAuthenticated: true, AuthenticationType: Scheme, Name: { } name })
        {
            return null;
        }

        var id = long.Parse(principal.FindFirstValue(IdClaim)!, CultureInfo.InvariantCulture);
        return new StrataUser(id, name, principal.HasClaim(AdminClaim, "true"), principal.FindFirstValue(DeploymentClaim));
    }

    public static StrataUser Of(AuthUser user, ApiToken? token) =>
        new(user.Id, user.Username, user.IsAdmin && token?.Deployment is null, token?.Deployment);

    public ClaimsPrincipal ToPrincipal()
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, Username),
            new(IdClaim, Id.ToString(CultureInfo.InvariantCulture)),
            new(AdminClaim, IsAdmin ? "true" : "false"),
        };
        if (Deployment is not null)
        {
            claims.Add(new Claim(DeploymentClaim, Deployment));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme));
    }
}
