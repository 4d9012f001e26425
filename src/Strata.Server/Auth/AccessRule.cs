using Strata.Core.Auth;

namespace Strata.Server.Auth;

/// <summary>What an authenticated caller must hold for one route.</summary>
public enum AccessKind
{
    /// <summary>No credentials needed (health checks).</summary>
    Public,

    /// <summary>Any signed-in user.</summary>
    Authenticated,

    /// <summary>Admins only.</summary>
    Admin,

    /// <summary>A permission on the experiment(s) the request names, directly or through a run, trace or logged model.</summary>
    Experiment,

    /// <summary>A permission on the registered model (or prompt) the request names.</summary>
    RegisteredModel,

    /// <summary>A permission on the deployment the request names.</summary>
    Deployment,

    /// <summary>Calling a deployment: READ on it, or a token limited to it.</summary>
    Serving,

    /// <summary>The request is about the caller's own user (or the caller is admin).</summary>
    Self,

    /// <summary>No credentials: the URL's own signed, expiring grant (multipart part URLs, see <see cref="PartUrlGrants"/>).</summary>
    SignedPartUrl,
}

/// <summary>
/// One row of the authorization table: the kind, the permission needed, how to find the resource in the request, and
/// an optional step after a successful response (the creator's MANAGE grant, grants following a rename or delete).
/// </summary>
public sealed record AccessRule(
    AccessKind Kind,
    Permission Needed = Permission.READ,
    Func<AccessCheck, ValueTask<IReadOnlyList<string>?>>? Locate = null,
    Func<AccessCheck, Task>? After = null)
{
    public AccessRule Then(Func<AccessCheck, Task> after) => this with { After = after };

    public override string ToString() => Kind is AccessKind.Experiment or AccessKind.RegisteredModel or AccessKind.Deployment or AccessKind.Serving
        ? $"{Kind} {Needed}"
        : Kind.ToString();
}
