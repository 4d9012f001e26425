using Microsoft.Extensions.DependencyInjection;
using Strata.Core.Auth;

namespace Strata.Server.Auth;

/// <summary>
/// Grants that follow a successful change, run by the authorization middleware when a 2xx answer starts (before the client sees it): the
/// creator of an experiment, registered model or deployment gets MANAGE on it; grants on a registered model follow
/// its rename and go with its deletion.
/// </summary>
public static class AccessGrants
{
    public static async Task CreatorManagesExperiment(AccessCheck c)
    {
        if (await c.FieldAsync("name").ConfigureAwait(false) is { } name
            && await c.Resolver.ExperimentByNameAsync(name, c.Aborted).ConfigureAwait(false) is { } id)
        {
            await Store(c).SetExperimentPermissionAsync(id, c.User.Id, Permission.MANAGE, c.Aborted).ConfigureAwait(false);
            Changed(c);
        }
    }

    public static async Task CreatorManagesRegisteredModel(AccessCheck c)
    {
        if (await c.FieldAsync("name").ConfigureAwait(false) is { } name)
        {
            await Store(c).SetRegisteredModelPermissionAsync(name, c.User.Id, Permission.MANAGE, c.Aborted).ConfigureAwait(false);
            Changed(c);
        }
    }

    public static async Task CreatorManagesDeployment(AccessCheck c)
    {
        if (await c.FieldAsync("name").ConfigureAwait(false) is { } name)
        {
            await Store(c).SetDeploymentPermissionAsync(name, c.User.Id, Permission.MANAGE, c.Aborted).ConfigureAwait(false);
            Changed(c);
        }
    }

    public static async Task GrantsFollowRename(AccessCheck c)
    {
        if (await c.FieldAsync("name").ConfigureAwait(false) is { } name && await c.FieldAsync("new_name").ConfigureAwait(false) is { } newName)
        {
            await Store(c).RenameRegisteredModelPermissionsAsync(name, newName, c.Aborted).ConfigureAwait(false);
            Changed(c);
        }
    }

    public static async Task GrantsGoWithRegisteredModel(AccessCheck c)
    {
        if (await c.FieldAsync("name").ConfigureAwait(false) is { } name)
        {
            await Store(c).DeleteRegisteredModelPermissionsAsync(name, c.Aborted).ConfigureAwait(false);
            Changed(c);
        }
    }

    public static async Task GrantsGoWithDeployment(AccessCheck c)
    {
        if (c.Route("name") is { } name)
        {
            await Store(c).DeleteDeploymentPermissionsAsync(name, c.Aborted).ConfigureAwait(false);
            Changed(c);
        }
    }

    private static IAuthStore Store(AccessCheck c) => c.Http.RequestServices.GetRequiredService<IAuthStore>();

    private static void Changed(AccessCheck c) => c.Http.RequestServices.GetRequiredService<AuthVersionMonitor>().MarkStale();
}
