using Strata.Core.Auth;
using Strata.Server.Tests.Auth;

namespace Strata.Server.Tests.Ui;

/// <summary>An auth-on server whose default permission is NO_PERMISSIONS, so a user reads only what it was granted.</summary>
public sealed class UiAuthFixture : IAsyncLifetime
{
    public AuthTestServer Auth { get; private set; } = null!;

    public async Task InitializeAsync() => Auth = await AuthTestServer.StartAsync(o => o.Auth.DefaultPermission = Permission.NO_PERMISSIONS);

    public async Task DisposeAsync() => await Auth.DisposeAsync();
}
