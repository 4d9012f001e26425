using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Core.Auth;
using Strata.Server.Wire;

namespace Strata.Server.Auth;

/// <summary>
/// The four permission routes of one kind of resource, in MLflow's basic-auth shape: <c>{resource}/permissions/create|get|
/// update|delete</c> with the resource's key field, <c>username</c> and <c>permission</c>. Experiments, registered
/// models and deployments differ only in the field, the service calls and the answer's name; every change marks the
/// cached grants stale.
/// </summary>
internal sealed record GrantEndpoints<T>(
    string Resource,
    string Field,
    Func<AuthService, string?, string?, string?, CancellationToken, Task<T>> Create,
    Func<AuthService, string?, string?, CancellationToken, Task<T>> Get,
    Func<AuthService, string?, string?, string?, CancellationToken, Task> Update,
    Func<AuthService, string?, string?, CancellationToken, Task> Delete,
    Func<T, IResult> Result)
{
    /// <summary>Runs before a grant is created (for example: the resource must exist).</summary>
    public Func<HttpContext, string?, Task>? BeforeCreate { get; init; }

    public void Map(IEndpointRouteBuilder group)
    {
        group.MapPost($"{Resource}/permissions/create", async (HttpContext ctx, AuthService auth, AuthVersionMonitor versions) =>
        {
            var r = await WireRequest.ReadAsync(ctx);
            var key = r.String(Field);
            if (BeforeCreate is { } check && !string.IsNullOrEmpty(key))
            {
                await check(ctx, key);
            }

            var created = await Create(auth, key, r.String("username"), r.String("permission"), ctx.RequestAborted);
            versions.MarkStale();
            return Result(created);
        });
        group.MapGet($"{Resource}/permissions/get", async (HttpContext ctx, AuthService auth) =>
        {
            var r = await WireRequest.ReadAsync(ctx);
            return Result(await Get(auth, r.String(Field), r.String("username"), ctx.RequestAborted));
        });
        group.MapPatch($"{Resource}/permissions/update", async (HttpContext ctx, AuthService auth, AuthVersionMonitor versions) =>
        {
            var r = await WireRequest.ReadAsync(ctx);
            await Update(auth, r.String(Field), r.String("username"), r.String("permission"), ctx.RequestAborted);
            versions.MarkStale();
            return WireResults.Empty;
        });
        group.MapDelete($"{Resource}/permissions/delete", async (HttpContext ctx, AuthService auth, AuthVersionMonitor versions) =>
        {
            var r = await WireRequest.ReadAsync(ctx);
            await Delete(auth, r.String(Field), r.String("username"), ctx.RequestAborted);
            versions.MarkStale();
            return WireResults.Empty;
        });
    }
}
