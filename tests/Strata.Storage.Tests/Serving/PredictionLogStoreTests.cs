using Strata.Core.Errors;
using Strata.Storage.Serving;
using Strata.Storage.Tests.Postgres;
using Strata.Storage.Tests.Tracking;

namespace Strata.Storage.Tests.Serving;

public sealed class SqlitePredictionLogStoreTests(SqliteDatabaseFixture fixture) : PredictionLogStoreTests<SqliteDatabaseFixture>(fixture)
{
    private readonly PredictionLogStore _store = new(fixture.Database);
    private readonly Strata.Storage.Database.IDatabase _database = fixture.Database;

    [Fact]
    public async Task A_lone_surrogate_is_stored_as_a_replacement_character()
    {
        // A lone surrogate (from an exception message, say) is stored as U+FFFD, not refused with the rest of its batch.
        PredictionLogRecord[] rows =
        [
            new("req-lone-0", "lone", "1", 9_000, 1, 400, "mlflow", "a,b\n1,2", null, "bad \ud800 text"),
            new("req-lone-1", "lone", "1", 9_001, 1, 200, "mlflow", "{}", "[]", null),
        ];
        await _store.InsertAsync(rows, default);

        var page = await _store.SearchAsync(new PredictionLogQuery { ModelName = "lone" }, default);
        Assert.Equal(["req-lone-1", "req-lone-0"], page.Records.Select(r => r.RequestId));
        Assert.Equal("bad \ufffd text", page.Records[1].ErrorMessage);
        Assert.Equal(rows[1] with { LogId = page.Records[0].LogId }, page.Records[0]);
    }

    [Fact]
    public async Task Segments_are_json_that_sql_can_read()
    {
        await _store.InsertAsync([new("req-sql-0", "sql", "1", 9_100, 5, 200, "mlflow", "{\"a\": 1}", "[2]", null), new("req-sql-1", "sql", "1", 9_101, 6, 200, "mlflow", "{}", "[3]", null)], default);
        var ids = await _database.ReadAsync(
            (c, ct) => Dapper.SqlMapper.QueryAsync<string>(c, new Dapper.CommandDefinition(
                "SELECT json_extract(e.value, '$[0]') FROM prediction_log_segments s, json_each(s.entries) e WHERE s.model_name = 'sql' ORDER BY s.segment_id, e.key",
                cancellationToken: ct)),
            default);
        Assert.Equal(["req-sql-0", "req-sql-1"], ids);
    }

    [Theory]
    [InlineData("houses", null, null, null, "ix_prediction_log_segments_model_time")]
    [InlineData("houses", "3", 1_000L, 2_000L, "ix_prediction_log_segments_model_time")]
    [InlineData(null, null, 1_000L, null, "ix_prediction_log_segments_time")]
    public async Task Segments_are_chosen_from_an_index_alone(string? model, string? version, long? start, long? end, string index)
    {
        var query = new PredictionLogQuery { ModelName = model, ModelVersion = version, StartTimeMs = start, EndTimeMs = end };
        var sql = PredictionLogStore.SegmentQuery(query, (1_500, 7), (1_600, 9), out var parameters);
        var plan = string.Join("\n", await _database.ReadAsync(
            (c, ct) => Dapper.SqlMapper.QueryAsync<(long, long, long, string)>(c, new Dapper.CommandDefinition("EXPLAIN QUERY PLAN " + sql, parameters, cancellationToken: ct)),
            default).ContinueWith(t => t.Result.Select(r => r.Item4), TaskScheduler.Default));
        Assert.Contains("USING COVERING INDEX " + index, plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_nul_character_survives()
    {
        var nul = new PredictionLogRecord("req-nul", "nul", "1", 9_002, 1, 200, "mlflow", "a\u0000b", "c\u0000", null);
        await _store.InsertAsync([nul], default);
        var stored = Assert.Single((await _store.SearchAsync(new PredictionLogQuery { ModelName = "nul" }, default)).Records);
        Assert.Equal(nul with { LogId = stored.LogId }, stored);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresPredictionLogStoreTests(PostgresDatabaseFixture fixture) : PredictionLogStoreTests<PostgresDatabaseFixture>(fixture);

/// <summary>The prediction log on both dialects: batched inserts (full prepared chunks and a remainder) and paged reads.</summary>
public abstract class PredictionLogStoreTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : class, IDatabaseFixture
{
    private readonly PredictionLogStore _store = new(fixture.Database);

    private static PredictionLogRecord Row(string model, string version, long ts, int i, int status = 200) => new(
        $"req-{model}-{i}", model, version, ts, 150 + i, status, "mlflow",
        "{\"inputs\": {\"x\": [" + i + "]}}", status == 200 ? "{\"predictions\": [" + (i * 2) + "]}" : null, status == 200 ? null : "bad input");

    [Fact]
    public async Task A_batch_is_written_and_read_back_newest_first_in_pages()
    {
        // 450 rows: two full chunks of 200 on PostgreSQL plus a remainder; one prepared statement stepped 450 times on SQLite.
        var rows = Enumerable.Range(0, 450).Select(i => Row("paged", i < 300 ? "1" : "2", 1_000 + i, i, i % 50 == 0 ? 400 : 200)).ToList();
        await _store.InsertAsync(rows, default);

        var all = new List<PredictionLogRecord>();
        string? token = null;
        do
        {
            var page = await _store.SearchAsync(new PredictionLogQuery { ModelName = "paged", MaxResults = 100, PageToken = token }, default);
            Assert.True(page.Records.Count <= 100);
            all.AddRange(page.Records);
            token = page.NextPageToken;
        }
        while (token is not null);

        Assert.Equal(rows.Select(r => r.RequestId).Reverse(), all.Select(r => r.RequestId));
        var sample = all.Single(r => r.RequestId == "req-paged-7");
        Assert.Equal(rows[7] with { LogId = sample.LogId }, sample);
        Assert.True(sample.LogId > 0);
        var failed = all.Single(r => r.RequestId == "req-paged-50");
        Assert.Equal(400, failed.StatusCode);
        Assert.Null(failed.Outputs);
        Assert.Equal("bad input", failed.ErrorMessage);
    }

    [Fact]
    public async Task Bodies_are_stored_exactly_as_given()
    {
        string[] bodies =
        [
            "{\"dataframe_split\": {\"columns\": [\"a\"], \"data\": [[1.5e3]]}}",
            "a,b\r\n\"x, y\",2\n",
            "back\\slash \t tab <html> & 'quote' +plus",
            "non-ASCII: é 中文 😀 \u001f",
            "",
            "   ",
        ];
        var rows = bodies.Select((b, i) => new PredictionLogRecord(
            $"req-exact-{i}", "exact", "v\"1", 7_000 + i, long.MaxValue - i, 200 + i, "v2", b, i % 2 == 0 ? b : null, i % 2 == 0 ? null : b)).ToList();
        await _store.InsertAsync(rows, default);

        var page = await _store.SearchAsync(new PredictionLogQuery { ModelName = "exact" }, default);
        Assert.Equal(rows.AsEnumerable().Reverse(), page.Records.Select(r => r with { LogId = 0 }));
        Assert.Equal(page.Records.Select(r => r.LogId).OrderDescending(), page.Records.Select(r => r.LogId));
    }

    [Fact]
    public async Task Filters_by_version_and_inclusive_time_range()
    {
        await _store.InsertAsync(Enumerable.Range(0, 20).Select(i => Row("ranged", i % 2 == 0 ? "1" : "2", 5_000 + i, i)).ToList(), default);
        var v2 = await _store.SearchAsync(new PredictionLogQuery { ModelName = "ranged", ModelVersion = "2", StartTimeMs = 5_005, EndTimeMs = 5_011 }, default);
        Assert.Equal([5_011L, 5_009, 5_007, 5_005], v2.Records.Select(r => r.TimestampMs));
        Assert.Null(v2.NextPageToken);
        var none = await _store.SearchAsync(new PredictionLogQuery { ModelName = "ranged", EndTimeMs = 4_999 }, default);
        Assert.Empty(none.Records);
        var everyModel = await _store.SearchAsync(new PredictionLogQuery { StartTimeMs = 5_019, EndTimeMs = 5_019 }, default);
        Assert.Equal("req-ranged-19", Assert.Single(everyModel.Records).RequestId);
    }

    [Fact]
    public async Task A_batch_with_a_bad_row_writes_none_of_its_rows()
    {
        // The NULL request id of the third row is refused; the two rows before it must not stay behind.
        var rows = Enumerable.Range(0, 5).Select(i => Row("atomic", "1", 8_000 + i, i)).ToList();
        rows[2] = rows[2] with { RequestId = null! };
        await Assert.ThrowsAnyAsync<Exception>(() => _store.InsertAsync(rows, default));

        Assert.Empty((await _store.SearchAsync(new PredictionLogQuery { ModelName = "atomic" }, default)).Records);
        await _store.InsertAsync([Row("atomic", "1", 8_100, 9)], default);
        Assert.Equal("req-atomic-9", Assert.Single((await _store.SearchAsync(new PredictionLogQuery { ModelName = "atomic" }, default)).Records).RequestId);
    }

    [Fact]
    public async Task Pages_follow_time_across_segments_whose_times_overlap()
    {
        // Twenty batches (so twenty segments, more than one read fetches) whose times interleave, one logged out of
        // time order within its batch, and two entries at the same millisecond: pages of 7 must still come out newest
        // first, each entry once.
        var batches = Enumerable.Range(0, 20).Select(b => Enumerable.Range(0, 5)
            .Select(i => Row("overlap", "1", 20_000 + (i * 20) + b, (b * 5) + i)).ToList()).ToList();
        (batches[2][3], batches[2][4]) = (batches[2][4], batches[2][3]);
        batches[3][4] = batches[3][4] with { TimestampMs = batches[1][4].TimestampMs };
        foreach (var batch in batches)
        {
            await _store.InsertAsync(batch, default);
        }

        var pages = new List<IReadOnlyList<PredictionLogRecord>>();
        string? token = null;
        do
        {
            var page = await _store.SearchAsync(new PredictionLogQuery { ModelName = "overlap", MaxResults = 7, StartTimeMs = 20_002, PageToken = token }, default);
            pages.Add(page.Records);
            token = page.NextPageToken;
        }
        while (token is not null);

        var all = pages.SelectMany(p => p).ToList();
        var expected = batches.SelectMany(b => b).Where(r => r.TimestampMs >= 20_002).ToList();
        Assert.Equal(expected.Count, all.Count);
        Assert.Equal(expected.Select(r => r.RequestId).Order(), all.Select(r => r.RequestId).Order());
        Assert.Equal(all.Select(r => (r.TimestampMs, r.LogId)).OrderDescending(), all.Select(r => (r.TimestampMs, r.LogId)));
        Assert.All(pages.SkipLast(1), p => Assert.Equal(7, p.Count));
    }

    [Fact]
    public async Task A_batch_larger_than_a_segment_holds_is_split_and_read_back_whole()
    {
        var rows = Enumerable.Range(0, PredictionLogSegment.MaxEntries + 10).Select(i => Row("big", "1", 40_000 + i, i)).ToList();
        await _store.InsertAsync(rows, default);

        var segments = await fixture.Database.ReadAsync(
            (c, ct) => Dapper.SqlMapper.ExecuteScalarAsync<long>(c, new Dapper.CommandDefinition(
                "SELECT COUNT(*) FROM prediction_log_segments WHERE model_name = 'big'", cancellationToken: ct)),
            default);
        Assert.Equal(2, segments);
        var page = await _store.SearchAsync(new PredictionLogQuery { ModelName = "big", MaxResults = PredictionLogQuery.MaxMaxResults }, default);
        Assert.Equal(rows.Select(r => r.RequestId).Reverse(), page.Records.Select(r => r.RequestId));
    }

    [Fact]
    public async Task A_segment_in_a_format_this_build_does_not_know_is_refused_by_name()
    {
        await fixture.Database.WriteAsync(
            (c, tx, ct) => Dapper.SqlMapper.ExecuteAsync(c, new Dapper.CommandDefinition(
                "INSERT INTO prediction_log_segments (model_name, model_version, min_timestamp_ms, max_timestamp_ms, entry_count, format, entries) "
                + "VALUES ('future', '1', 50000, 50000, 0, 2, '[]')",
                transaction: tx, cancellationToken: ct)),
            default);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _store.SearchAsync(new PredictionLogQuery { ModelName = "future" }, default));
        Assert.Contains("format 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Entries_of_several_models_in_one_batch_are_each_found_by_their_model()
    {
        var rows = Enumerable.Range(0, 12).Select(i => Row(i % 3 == 0 ? "mixed-a" : "mixed-b", i % 2 == 0 ? "1" : "2", 30_000 + i, i)).ToList();
        await _store.InsertAsync(rows, default);
        foreach (var (model, version) in new[] { ("mixed-a", "1"), ("mixed-a", "2"), ("mixed-b", "1"), ("mixed-b", "2") })
        {
            var page = await _store.SearchAsync(new PredictionLogQuery { ModelName = model, ModelVersion = version }, default);
            var expected = rows.Where(r => r.ModelName == model && r.ModelVersion == version).Reverse().ToList();
            Assert.Equal(expected, page.Records.Select(r => r with { LogId = 0 }));
        }
    }

    [Fact]
    public async Task Bad_queries_are_invalid_parameter_values()
    {
        foreach (var query in new[]
        {
            new PredictionLogQuery { MaxResults = 0 },
            new PredictionLogQuery { MaxResults = PredictionLogQuery.MaxMaxResults + 1 },
            new PredictionLogQuery { ModelVersion = "1" },
            new PredictionLogQuery { PageToken = "not-a-token" },
        })
        {
            var error = await Assert.ThrowsAsync<MlflowException>(() => _store.SearchAsync(query, default));
            Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, error.Code);
        }
    }
}
