using Microsoft.AspNetCore.Http;

namespace Strata.Server.Auth;

/// <summary>
/// Who a change is recorded as (registry events and versions, deployment revisions, drift runs, a run's user): the
/// one place that decides it. With <c>--auth</c> it is the authenticated user, whatever the client claims; without,
/// there is no user unless the client names one.
/// </summary>
public static class RequestUser
{
    public static string? Name(HttpContext context) =>
        context.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : null;

    /// <summary>A run's <c>user_id</c>: the authenticated user, else what the client sent.</summary>
    public static string? RunUser(HttpContext context, string? claimed) => Name(context) ?? claimed;
}
