using Dapper;
using Strata.Storage.Serving;
using Strata.Storage.Tests.Postgres;
using Strata.Storage.Tests.Tracking;

namespace Strata.Storage.Tests.Deployments;

public sealed class SqlitePredictionLogRetentionTests(SqliteDatabaseFixture fixture) : PredictionLogRetentionTests<SqliteDatabaseFixture>(fixture);

[Collection(PostgresCollection.Name)]
public sealed class PostgresPredictionLogRetentionTests(PostgresDatabaseFixture fixture) : PredictionLogRetentionTests<PostgresDatabaseFixture>(fixture);

/// <summary>Each test class has its own database, so counts over the whole log are this class's own.</summary>
public abstract class PredictionLogRetentionTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : class, IDatabaseFixture
{
    private readonly PredictionLogStore _store = new(fixture.Database);
    private readonly PredictionLogRetention _retention = new(fixture.Database);

    private static PredictionLogRecord Entry(string id, long at, string body = "{}") => new(id, "retained", "1", at, 10, 200, "mlflow", body, "[1]", null);

    private Task<List<string>> RemainingAsync() =>
        fixture.Database.ReadAsync(async (c, ct) =>
        {
            var page = await _store.SearchAsync(new PredictionLogQuery { ModelName = "retained", MaxResults = 1000 }, ct);
            return page.Records.Select(r => r.RequestId).Order(StringComparer.Ordinal).ToList();
        }, default);

    private Task ClearAsync() =>
        fixture.Database.WriteAsync((c, tx, ct) => c.ExecuteAsync(new CommandDefinition("DELETE FROM prediction_log_segments", transaction: tx, cancellationToken: ct)), default);

    [Fact]
    public async Task Age_retention_deletes_exactly_the_segments_past_the_age()
    {
        await ClearAsync();
        const long day = 86_400_000;
        var now = 100 * day;
        // One insert per batch: each becomes one segment, as the writer's batches do.
        long[] ages = [10 * day, 8 * day, 7 * day + 1, 7 * day, 7 * day - 1, day, 0];
        foreach (var (age, i) in ages.Select((a, i) => (a, i)))
        {
            await _store.InsertAsync([Entry($"e{i}a", now - age), Entry($"e{i}b", now - age)], default);
        }

        var result = await _retention.ApplyAsync(new LogRetention(TimeSpan.FromDays(7), null), now, default);

        // Older than 7 days (strictly): the first three batches. Exactly 7 days old stays.
        Assert.Equal(3, result.SegmentsDeleted);
        Assert.Equal(6, result.EntriesDeleted);
        Assert.Equal(["e3a", "e3b", "e4a", "e4b", "e5a", "e5b", "e6a", "e6b"], await RemainingAsync());

        // Nothing left past the age: a second pass deletes nothing.
        Assert.Equal(new RetentionResult(0, 0), await _retention.ApplyAsync(new LogRetention(TimeSpan.FromDays(7), null), now, default));
    }

    [Fact]
    public async Task Age_retention_deletes_in_batches_of_segments()
    {
        await ClearAsync();
        var count = PredictionLogRetention.SegmentsPerStatement + 5;
        for (var i = 0; i < count; i += 100)
        {
            // Different model versions in one insert become different segments.
            await _store.InsertAsync(Enumerable.Range(i, Math.Min(100, count - i)).Select(j => Entry($"old{j:D5}", 1_000) with { ModelVersion = j.ToString(System.Globalization.CultureInfo.InvariantCulture) }).ToList(), default);
        }

        await _store.InsertAsync([Entry("new", 5_000_000)], default);
        var result = await _retention.DeleteOlderThanAsync(2_000, default);
        Assert.Equal(count, result.SegmentsDeleted);
        Assert.Equal(["new"], await RemainingAsync());
    }

    [Fact]
    public async Task Size_retention_keeps_the_newest_segments_that_fit()
    {
        await ClearAsync();
        var body = new string('x', 1000);
        for (var i = 0; i < 10; i++)
        {
            await _store.InsertAsync([Entry($"s{i}", 1_000 + i, body)], default);
        }

        // Each segment holds a bit over 1,000 bytes: a 3,500-byte budget keeps the newest three.
        var result = await _retention.ApplyAsync(new LogRetention(null, 3_500), 10_000, default);
        Assert.Equal(7, result.SegmentsDeleted);
        Assert.Equal(["s7", "s8", "s9"], await RemainingAsync());
    }

    [Theory]
    [InlineData("7d", 7 * 24, null)]
    [InlineData("12h", 12, null)]
    [InlineData("2GB", null, 2L << 30)]
    [InlineData("1d12h,500MB", 36, 500L << 20)]
    public void Retention_text_parses(string text, int? hours, long? bytes)
    {
        var retention = LogRetention.Parse(text);
        Assert.Equal(hours is null ? null : TimeSpan.FromHours(hours.Value), retention.MaxAge);
        Assert.Equal(bytes, retention.MaxBytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("0d")]
    [InlineData("7days")]
    public void Bad_retention_text_is_refused(string text) =>
        Assert.Contains("--log-retention", Assert.Throws<ArgumentException>(() => LogRetention.Parse(text)).Message, StringComparison.Ordinal);
}
