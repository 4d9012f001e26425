using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Strata.Core.Auth;
using Strata.Core.Deployments;
using Strata.Core.Errors;
using Strata.Server.Hosting;
using Strata.Server.Wire;

namespace Strata.Server.Auth;

/// <summary>
/// MLflow's basic-auth REST API (users, experiment and registered-model permissions: what
/// <c>mlflow.server.auth.client.AuthServiceClient</c> calls) under both MLflow prefixes, and Strata's
/// <c>/api/2.0/strata/users</c>, <c>/api/2.0/strata/tokens</c> and <c>/api/2.0/strata/deployments/permissions/...</c>. Who may call what is in <see cref="AccessRules"/>.
/// </summary>
public static class AuthApi
{
    public const string StrataPrefix = "/api/2.0/strata";

    private static readonly JsonEncodedText UsersName = JsonEncodedText.Encode("users");

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in MlflowRoutes.Prefixes)
        {
            var g = app.MapGroup(prefix).WithTags("Auth");
            g.MapPost("users/create", CreateUser);
            g.MapGet("users/get", GetUser);
            g.MapPatch("users/update-password", UpdatePassword);
            g.MapPatch("users/update-admin", UpdateAdmin);
            g.MapDelete("users/delete", DeleteUser);
            ExperimentGrants.Map(g);
            RegisteredModelGrants.Map(g);
        }

        var strata = app.MapGroup(StrataPrefix).WithTags("Auth");
        strata.MapGet("users", ListUsers);
        strata.MapGet("users/current", CurrentUser);
        strata.MapPost("tokens", CreateToken);
        strata.MapGet("tokens", ListTokens);
        strata.MapDelete("tokens/{token_id}", RevokeToken);
        DeploymentGrants.Map(strata);
        return app;
    }

    // ---- users ----

    private static async Task<IResult> CreateUser(HttpContext ctx, AuthService auth, AuthVersionMonitor versions)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var user = await auth.CreateUserAsync(r.String("username"), r.String("password"), isAdmin: false, ctx.RequestAborted);
        versions.MarkStale();
        return UserResult(user, null);
    }

    private static async Task<IResult> GetUser(HttpContext ctx, AuthService auth)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var user = await auth.GetUserAsync(r.String("username"), ctx.RequestAborted);
        return UserResult(user, await auth.Store.GetGrantsAsync(user.Id, ctx.RequestAborted));
    }

    private static async Task<IResult> CurrentUser(HttpContext ctx, AuthService auth)
    {
        var user = await auth.GetUserAsync(StrataUser.From(ctx.User)?.Username, ctx.RequestAborted);
        return UserResult(user, await auth.Store.GetGrantsAsync(user.Id, ctx.RequestAborted));
    }

    private static async Task<IResult> ListUsers(HttpContext ctx, AuthService auth)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var page = await auth.ListUsersAsync(r.Int64("max_results"), r.String("page_token"), ctx.RequestAborted);
        return WireResults.Page(page, UsersName, static (w, u) => AuthJson.WriteUser(w, u));
    }

    private static async Task<IResult> UpdatePassword(HttpContext ctx, AuthService auth, AuthVersionMonitor versions)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await auth.UpdatePasswordAsync(r.String("username"), r.String("password"), ctx.RequestAborted);
        versions.MarkStale();
        return WireResults.Empty;
    }

    private static async Task<IResult> UpdateAdmin(HttpContext ctx, AuthService auth, AuthVersionMonitor versions)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await auth.UpdateAdminAsync(r.String("username"), r.Boolean("is_admin"), ctx.RequestAborted);
        versions.MarkStale();
        return WireResults.Empty;
    }

    private static async Task<IResult> DeleteUser(HttpContext ctx, AuthService auth, AuthVersionMonitor versions)
    {
        var r = await WireRequest.ReadAsync(ctx);
        await auth.DeleteUserAsync(r.String("username"), ctx.RequestAborted);
        versions.MarkStale();
        return WireResults.Empty;
    }

    // ---- permissions: MLflow's experiment and registered-model routes, Strata's deployment routes in the same shape ----

    private static readonly GrantEndpoints<ExperimentPermission> ExperimentGrants = new(
        "experiments", "experiment_id",
        (auth, key, user, permission, ct) => auth.CreateExperimentPermissionAsync(key, user, permission, ct),
        (auth, key, user, ct) => auth.GetExperimentPermissionAsync(key, user, ct),
        (auth, key, user, permission, ct) => auth.UpdateExperimentPermissionAsync(key, user, permission, ct),
        (auth, key, user, ct) => auth.DeleteExperimentPermissionAsync(key, user, ct),
        ExperimentPermissionResult);

    private static readonly GrantEndpoints<RegisteredModelPermission> RegisteredModelGrants = new(
        "registered-models", "name",
        (auth, key, user, permission, ct) => auth.CreateRegisteredModelPermissionAsync(key, user, permission, ct),
        (auth, key, user, ct) => auth.GetRegisteredModelPermissionAsync(key, user, ct),
        (auth, key, user, permission, ct) => auth.UpdateRegisteredModelPermissionAsync(key, user, permission, ct),
        (auth, key, user, ct) => auth.DeleteRegisteredModelPermissionAsync(key, user, ct),
        RegisteredModelPermissionResult);

    private static readonly GrantEndpoints<DeploymentPermission> DeploymentGrants = new(
        "deployments", "deployment_name",
        (auth, key, user, permission, ct) => auth.CreateDeploymentPermissionAsync(key, user, permission, ct),
        (auth, key, user, ct) => auth.GetDeploymentPermissionAsync(key, user, ct),
        (auth, key, user, permission, ct) => auth.UpdateDeploymentPermissionAsync(key, user, permission, ct),
        (auth, key, user, ct) => auth.DeleteDeploymentPermissionAsync(key, user, ct),
        DeploymentPermissionResult)
    {
        // A grant on a deployment that does not exist would silently apply to one created later under its name.
        BeforeCreate = (ctx, name) => ctx.RequestServices.GetRequiredService<DeploymentService>().GetAsync(name, ctx.RequestAborted),
    };

    // ---- tokens ----

    /// <summary>Answers the secret once: <c>{"token": {...}, "secret": "strata_..."}</c>.</summary>
    private static async Task<IResult> CreateToken(HttpContext ctx, AuthService auth, TimeProvider time, AuthVersionMonitor versions)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var expiresAt = r.Int64("expiration_timestamp");
        if (r.Int64("expires_in_days") is { } days)
        {
            if (days is < 1 or > 3650)
            {
                throw MlflowException.InvalidParameter($"Invalid value {days} for parameter 'expires_in_days': it must be between 1 and 3650.");
            }

            expiresAt ??= time.GetUtcNow().AddDays(days).ToUnixTimeMilliseconds();
        }

        var username = r.String("username") ?? StrataUser.From(ctx.User)?.Username;
        var created = await auth.CreateTokenAsync(username, r.String("name"), expiresAt, r.String("deployment"), ctx.RequestAborted);
        versions.MarkStale();
        ctx.Response.Headers.CacheControl = "no-store";
        return WireResults.Object(created, static (w, c) =>
        {
            w.WritePropertyName("token"u8);
            AuthJson.WriteToken(w, c.Token);
            w.WriteString("secret"u8, c.Secret);
        });
    }

    /// <summary>The caller's tokens; an admin gets everyone's unless it names a user.</summary>
    private static async Task<IResult> ListTokens(HttpContext ctx, AuthService auth)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var caller = StrataUser.From(ctx.User);
        long? userId = null;
        if (r.String("username") is { } username)
        {
            userId = (await auth.GetUserAsync(username, ctx.RequestAborted)).Id;
        }
        else if (caller is not null && !caller.IsAdmin)
        {
            userId = caller.Id;
        }

        var tokens = await auth.Store.ListTokensAsync(userId, ctx.RequestAborted);
        return WireResults.Object(tokens, static (w, list) =>
        {
            w.WriteStartArray("tokens"u8);
            foreach (var t in list)
            {
                AuthJson.WriteToken(w, t);
            }

            w.WriteEndArray();
        });
    }

    private static async Task<IResult> RevokeToken(string token_id, HttpContext ctx, AuthService auth, AuthVersionMonitor versions)
    {
        await auth.RevokeTokenAsync(token_id, ctx.RequestAborted);
        versions.MarkStale();
        return WireResults.Empty;
    }

    private static IResult UserResult(AuthUser user, UserGrants? grants) =>
        WireResults.Object((user, grants), static (w, s) =>
        {
            w.WritePropertyName("user"u8);
            AuthJson.WriteUser(w, s.user, s.grants);
        });

    private static IResult ExperimentPermissionResult(ExperimentPermission p) =>
        WireResults.Object(p, static (w, p) =>
        {
            w.WritePropertyName("experiment_permission"u8);
            AuthJson.WriteExperimentPermission(w, p);
        });

    private static IResult DeploymentPermissionResult(DeploymentPermission p) =>
        WireResults.Object(p, static (w, p) =>
        {
            w.WritePropertyName("deployment_permission"u8);
            AuthJson.WriteDeploymentPermission(w, p);
        });

    private static IResult RegisteredModelPermissionResult(RegisteredModelPermission p) =>
        WireResults.Object(p, static (w, p) =>
        {
            w.WritePropertyName("registered_model_permission"u8);
            AuthJson.WriteRegisteredModelPermission(w, p);
        });
}
