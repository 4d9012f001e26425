using Strata.Core.Tracking;
using Strata.Storage.Tracking;

namespace Strata.Storage.Tests.Tracking;

/// <summary>Shared set-up for tracking tests: one migrated database per class, fresh names per test.</summary>
public abstract class TrackingTestBase<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : class, IDatabaseFixture
{
    protected const string Root = "mlflow-artifacts:/";

    protected static readonly CancellationToken Ct = CancellationToken.None;

    protected TrackingStore Store { get; } = new(fixture.Database);

    protected TFixture Fixture => fixture;

    protected static string NewRunId() => Guid.NewGuid().ToString("N");

    protected static string UniqueName(string prefix = "exp") => prefix + "-" + Guid.NewGuid().ToString("N")[..12];

    protected Task<string> CreateExperimentAsync(string? name = null, long creationTime = 1000, IReadOnlyList<KeyValue>? tags = null, string? location = null) =>
        Store.CreateExperimentAsync(new NewExperiment(name ?? UniqueName(), location, Root, tags ?? [], creationTime), Ct);

    protected async Task<Run> CreateRunAsync(string experimentId, string? name = null, long startTime = 1000, IReadOnlyList<KeyValue>? tags = null, string user = "alice") =>
        await Store.CreateRunAsync(new NewRun(NewRunId(), experimentId, user, name ?? UniqueName("run"), startTime, tags ?? []), Ct);

    protected Task LogMetricAsync(string runId, string key, double value, long timestamp = 1, long step = 0) =>
        Store.LogBatchAsync(runId, [new Metric(key, value, timestamp, step)], [], [], Ct);
}
