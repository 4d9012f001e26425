using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Strata.Core.Auth;
using Strata.Server.Auth;
using Strata.Server.Hosting;

namespace Strata.Server.Ui;

/// <summary>
/// What the signed-in user may do, for the pages: the same resolution the API's rules use (<see cref="AccessResolver"/>,
/// <see cref="ReadScopes"/>), so a button is shown exactly when the matching API call would be allowed. Without
/// <c>--auth</c>, and for admins, everything is allowed. Page-level READ is enforced before a page runs
/// (<see cref="AccessRules.UiPages"/>); this decides the lists' contents and the actions.
/// </summary>
public sealed class UiAccess(IHttpContextAccessor accessor, AccessResolver resolver, IOptions<StrataServerOptions> options, IAuthStore store, AuthVersionMonitor versions)
{
    private HttpContext? Http => accessor.HttpContext;

    /// <summary>The signed-in user, or null without <c>--auth</c>.</summary>
    public StrataUser? User => options.Value.Auth.Enabled && Http is { } http ? StrataUser.Current(http) : null;

    public bool AuthEnabled => options.Value.Auth.Enabled;

    private bool Unrestricted => !AuthEnabled || User is { IsAdmin: true };

    public async ValueTask<bool> ExperimentAsync(string experimentId, Permission needed, CancellationToken ct) =>
        Unrestricted || (User is { } user && (await resolver.ExperimentAsync(user, experimentId, ct).ConfigureAwait(false)).Allows(needed));

    public async ValueTask<bool> RegisteredModelAsync(string name, Permission needed, CancellationToken ct) =>
        Unrestricted || (User is { } user && (await resolver.RegisteredModelAsync(user, name, ct).ConfigureAwait(false)).Allows(needed));

    public async ValueTask<bool> DeploymentAsync(string name, Permission needed, CancellationToken ct) =>
        Unrestricted || (User is { } user && (await resolver.DeploymentAsync(user, name, ct).ConfigureAwait(false)).Allows(needed));

    /// <summary>The experiments search's scope (null: everything).</summary>
    public ValueTask<ReadScope?> ExperimentsScopeAsync() => Http is { } http && AuthEnabled ? ReadScopes.ExperimentsAsync(http) : ValueTask.FromResult<ReadScope?>(null);

    /// <summary>Registered models, their versions and prompts.</summary>
    public ValueTask<ReadScope?> RegisteredModelsScopeAsync() => Http is { } http && AuthEnabled ? ReadScopes.RegisteredModelsAsync(http) : ValueTask.FromResult<ReadScope?>(null);

    /// <summary>The deployments the user may read, applied inside the listing's SQL.</summary>
    public ValueTask<ReadScope?> DeploymentsScopeAsync() => Http is { } http && AuthEnabled ? ReadScopes.DeploymentsAsync(http) : ValueTask.FromResult<ReadScope?>(null);

    /// <summary>The creator of an experiment manages it, as when it is created through the API.</summary>
    public async Task CreatorManagesExperimentAsync(string experimentId, CancellationToken ct)
    {
        if (User is { Id: > 0 } user)
        {
            await store.SetExperimentPermissionAsync(experimentId, user.Id, Permission.MANAGE, ct).ConfigureAwait(false);
            versions.MarkStale();
        }
    }

    /// <summary>The message of a refused action; like the API's, it names the resource by id only.</summary>
    public static string Denied(Permission needed, string what) => $"Permission denied: {needed} on {what} is required.";
}
