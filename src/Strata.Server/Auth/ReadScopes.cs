using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Strata.Core.Auth;

namespace Strata.Server.Auth;

/// <summary>
/// What a search may return to the caller: null (everything) without auth or for admins, else the caller's
/// <see cref="ReadScope"/>, which the stores apply inside their SQL. The searches that name their experiments
/// (runs, traces, logged models, datasets) need READ on each of them instead (see <see cref="AccessRules"/>).
/// </summary>
public static class ReadScopes
{
    public static async ValueTask<ReadScope?> ExperimentsAsync(HttpContext ctx)
    {
        if (Caller(ctx) is not { } user)
        {
            return null;
        }

        var resolver = ctx.RequestServices.GetRequiredService<AccessResolver>();
        return ReadScope.Of((await resolver.GrantsAsync(user.Id, ctx.RequestAborted).ConfigureAwait(false)).Experiments, resolver.DefaultPermission);
    }

    /// <summary>Registered models, their versions and prompts.</summary>
    public static async ValueTask<ReadScope?> RegisteredModelsAsync(HttpContext ctx)
    {
        if (Caller(ctx) is not { } user)
        {
            return null;
        }

        var resolver = ctx.RequestServices.GetRequiredService<AccessResolver>();
        return ReadScope.Of((await resolver.GrantsAsync(user.Id, ctx.RequestAborted).ConfigureAwait(false)).RegisteredModels, resolver.DefaultPermission);
    }

    public static async ValueTask<ReadScope?> DeploymentsAsync(HttpContext ctx)
    {
        if (Caller(ctx) is not { } user)
        {
            return null;
        }

        var resolver = ctx.RequestServices.GetRequiredService<AccessResolver>();
        return ReadScope.Of((await resolver.GrantsAsync(user.Id, ctx.RequestAborted).ConfigureAwait(false)).Deployments, resolver.DefaultPermission);
    }

    private static StrataUser? Caller(HttpContext ctx) => StrataUser.From(ctx.User) is { IsAdmin: false } user ? user : null;
}
