using System.Collections.Concurrent;
using Strata.Core.Registry;

namespace Strata.Storage.Tests.Registry;

/// <summary>Runs on SQLite; the PostgreSQL subclass runs the same test there.</summary>
public class RegistryConcurrencyTests
{
    private protected virtual Task<RegistryFixture> CreateFixtureAsync() => RegistryFixture.CreateAsync();

    [Fact]
    public async Task Two_hundred_versions_from_sixteen_callers_are_numbered_1_to_200()
    {
        await using var f = await CreateFixtureAsync();
        await f.Service.CreateRegisteredModelAsync("m", null, null, null, null, default);
        var numbers = new ConcurrentBag<long>();
        var next = 0;
        var callers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= 200)
            {
                var v = await f.Service.CreateModelVersionAsync("m", "s3://bucket/model", null, null, null, null, null, null, default);
                numbers.Add(v.Version);
            }
        }));
        await Task.WhenAll(callers);

        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), numbers.Order());
        Assert.Equal(200, await f.CountAsync("SELECT COUNT(*) FROM model_versions WHERE name = 'm'"));
        Assert.Equal(200, await f.CountAsync("SELECT last_version FROM registered_models WHERE name = 'm'"));
        Assert.Equal(200, await f.CountAsync("SELECT COUNT(*) FROM registry_events WHERE event_type = @t", new { t = RegistryEventTypes.ModelVersionCreated }));
    }
}
