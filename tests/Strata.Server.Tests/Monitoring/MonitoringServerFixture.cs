using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Monitoring;

/// <summary>
/// A server whose monitoring background work stays idle during the tests (profile-on-register off, the drift schedule
/// hourly, alert evaluation off), so each test drives one round itself and asserts on exactly what that round did.
/// </summary>
public sealed class MonitoringServerFixture : IAsyncLifetime
{
    public StrataTestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await StrataTestServer.StartAsync(o =>
    {
        o.Monitoring.ProfileOnRegister = false;
        o.Monitoring.DriftInterval = TimeSpan.FromHours(1);
        o.Monitoring.AlertInterval = TimeSpan.Zero;
    });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
