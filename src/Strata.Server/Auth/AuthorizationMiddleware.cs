using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strata.Core.Auth;

namespace Strata.Server.Auth;

/// <summary>
/// Applies <see cref="AccessRules"/> to every request that matched an endpoint: the one place permissions are checked.
/// Unauthenticated → 401 (challenge), not allowed → 403 PERMISSION_DENIED, a route without a rule → admins only.
/// Runs after authentication, so the caller is already known; installed only with <c>--auth</c>.
/// </summary>
public sealed partial class AuthorizationMiddleware(
    RequestDelegate next,
    AccessResolver resolver,
    CredentialCache credentials,
    AuthVersionMonitor versions,
    PartUrlGrants partUrls,
    ILogger<AuthorizationMiddleware> logger)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Endpoint, (AccessRule Rule, bool Ui, bool Page)> _rules = new();

    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null)
        {
            // No route matched: routing answers 404/405 and nothing is disclosed.
            await next(context).ConfigureAwait(false);
            return;
        }

        // The rule of an endpoint never changes: looked up once per endpoint, not per request.
        if (!_rules.TryGetValue(endpoint, out var known))
        {
            var found = AccessRules.Find(endpoint);
            if (found is null)
            {
                LogNoRule(logger, context.Request.Method, endpoint.DisplayName);
                found = Access.Admin;
            }

            known = (found, AccessRules.IsUi(endpoint), AccessRules.IsUiPage(endpoint));
            _rules[endpoint] = known;
        }

        var (rule, ui, page) = known;

        if (rule.Kind == AccessKind.Public)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        if (rule.Kind == AccessKind.SignedPartUrl)
        {
            // The grant alone decides, whatever credentials come along: it names the one part it allows.
            if (await partUrls.DenialAsync(context).ConfigureAwait(false) is { } refused)
            {
                await context.ForbidAsync(StrataUser.Scheme, new AuthenticationProperties(new Dictionary<string, string?> { ["message"] = refused })).ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
            return;
        }

        if (await AuthenticateAsync(context, ui).ConfigureAwait(false) is not { } user)
        {
            if (page && context.Request.Headers.Authorization.Count == 0)
            {
                // A browser opening a page is sent to sign in; the API and the hub keep answering 401 JSON.
                var back = context.Request.PathBase + context.Request.Path + context.Request.QueryString;
                context.Response.Redirect(UiSessions.SignInPath + "?returnUrl=" + Uri.EscapeDataString(back));
                return;
            }

            await context.ChallengeAsync(StrataUser.Scheme).ConfigureAwait(false);
            return;
        }

        var check = new AccessCheck(context, user, resolver);
        var denial = await DenialAsync(rule, check).ConfigureAwait(false);
        if (denial is not null)
        {
            if (page)
            {
                // The UI's 403 page names nothing: the caller may not read the resource, not even its name.
                await Ui.UiErrorPages.WriteForbiddenAsync(context).ConfigureAwait(false);
                return;
            }

            await context.ForbidAsync(StrataUser.Scheme, new AuthenticationProperties(new Dictionary<string, string?> { ["message"] = denial })).ConfigureAwait(false);
            return;
        }

        if (rule.After is { } after)
        {
            // Before the response leaves, not after: a client acting on the answer (reading what it just created, or
            // a model it just deleted) must already see the grants that follow from it.
            context.Response.OnStarting(() => context.Response.StatusCode is >= 200 and < 300 ? after(check) : Task.CompletedTask);
        }

        await next(context).ConfigureAwait(false);
    }

    /// <summary>
    /// The caller: a credential verified before costs one hash and a lookup here; anything else goes through the
    /// authentication handler (verification, throttling). Only routes that need a caller pay either.
    /// </summary>
    private async ValueTask<StrataUser?> AuthenticateAsync(HttpContext context, bool ui)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0 && context.Request.Cookies.ContainsKey(UiSessions.CookieName)
            && (ui || HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)))
        {
            // The UI's session: its pages and hub, and reads of the API (download links); never an API write.
            var session = await context.AuthenticateAsync(UiSessions.CookieScheme).ConfigureAwait(false);
            if (session.Succeeded && StrataUser.From(session.Principal) is { } signedIn)
            {
                context.User = session.Principal;
                context.Items[typeof(StrataUser)] = signedIn;
                return signedIn;
            }
        }

        if (header.Length > 0
            && credentials.Get(CredentialCache.Key(header), await versions.CurrentAsync(context.RequestAborted).ConfigureAwait(false)) is { } known)
        {
            context.User = known.Principal;
            context.Items[typeof(StrataUser)] = known.User;
            return known.User;
        }

        var result = await context.AuthenticateAsync(StrataUser.Scheme).ConfigureAwait(false);
        if (result.Succeeded)
        {
            context.User = result.Principal;
        }

        return StrataUser.Current(context);
    }

    /// <summary>Why the caller may not pass, or null when it may.</summary>
    private static async ValueTask<string?> DenialAsync(AccessRule rule, AccessCheck check)
    {
        var user = check.User;
        if (user.Deployment is { } onlyDeployment)
        {
            // A deployment-scoped token calls that deployment and nothing else, and only while its owner may (below).
            var target = rule.Kind == AccessKind.Serving && rule.Locate is { } l ? await l(check).ConfigureAwait(false) : null;
            if (target is not [var name] || name != onlyDeployment)
            {
                return $"This token may only call deployment '{onlyDeployment}'.";
            }
        }

        if (user.IsAdmin)
        {
            return null;
        }

        switch (rule.Kind)
        {
            case AccessKind.Authenticated:
                return null;
            case AccessKind.Admin:
                return "Permission denied: admins only.";
        }

        var resources = rule.Locate is { } locate ? await locate(check).ConfigureAwait(false) : null;
        if (resources is null)
        {
            // The request does not name its resource; the handler rejects it for the missing field.
            return null;
        }

        foreach (var resource in resources)
        {
            if (resource == Access.Nothing)
            {
                return "Permission denied: admins only.";
            }

            var ct = check.Aborted;
            var allowed = rule.Kind switch
            {
                AccessKind.Self => resource == user.Username,
                AccessKind.Experiment => (await check.Resolver.ExperimentAsync(user, resource, ct).ConfigureAwait(false)).Allows(rule.Needed),
                AccessKind.RegisteredModel => (await check.Resolver.RegisteredModelAsync(user, resource, ct).ConfigureAwait(false)).Allows(rule.Needed),
                AccessKind.Deployment or AccessKind.Serving => (await check.Resolver.DeploymentAsync(user, resource, ct).ConfigureAwait(false)).Allows(rule.Needed),
                _ => false,
            };
            if (!allowed)
            {
                return rule.Kind switch
                {
                    AccessKind.Self => "Permission denied: only the user itself or an admin may do this.",
                    // Ids only, never names or contents: the caller may not read the resource.
                    AccessKind.Experiment => $"Permission denied: {rule.Needed} on experiment {resource} is required.",
                    AccessKind.RegisteredModel => $"Permission denied: {rule.Needed} on registered model '{resource}' is required.",
                    _ => $"Permission denied: {rule.Needed} on deployment '{resource}' is required.",
                };
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Endpoint} has no rule in AccessRules; only admins may call it")]
    private static partial void LogNoRule(ILogger logger, string method, string? endpoint);
}
