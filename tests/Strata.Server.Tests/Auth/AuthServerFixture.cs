namespace Strata.Server.Tests.Auth;

/// <summary>One auth-on server per test class; tests use their own users and resources, so they do not interfere.</summary>
public sealed class AuthServerFixture : IAsyncLifetime
{
    public AuthTestServer Auth { get; private set; } = null!;

    public async Task InitializeAsync() => Auth = await AuthTestServer.StartAsync();

    public async Task DisposeAsync() => await Auth.DisposeAsync();
}
