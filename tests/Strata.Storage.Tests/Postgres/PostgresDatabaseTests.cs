using System.Data;
using Dapper;
using Npgsql;
using Strata.Storage.Database.Postgres;

namespace Strata.Storage.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class PostgresDatabaseTests(PostgresCluster cluster) : IAsyncLifetime
{
    private string _connectionString = "";

    public async Task InitializeAsync() => _connectionString = await cluster.CreateDatabaseAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Write_commits_and_reads_see_it()
    {
        await using var db = Create();
        await db.WriteAsync((c, tx, ct) => c.ExecuteAsync(new CommandDefinition("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)", transaction: tx, cancellationToken: ct)), default);
        await db.WriteAsync((c, tx, ct) => c.ExecuteAsync(new CommandDefinition("INSERT INTO t VALUES (@id, @v)", new { id = 1, v = "a" }, tx, cancellationToken: ct)), default);

        var v = await db.ReadAsync((c, ct) => c.ExecuteScalarAsync<string>(new CommandDefinition("SELECT v FROM t WHERE id = @id", new { id = 1 }, cancellationToken: ct)), default);
        Assert.Equal("a", v);
    }

    [Fact]
    public async Task Test_databases_collate_like_production_ones()
    {
        await using var db = Create();
        var naturalOrder = await db.ReadAsync((c, ct) => c.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT 'a' < 'B'", cancellationToken: ct)), default);
        Assert.True(naturalOrder);
    }

    [Fact]
    public async Task List_parameters_expand_as_on_sqlite()
    {
        // The shared SQL writes "IN @ids"; bound as one array by Npgsql this would be a syntax error.
        await using var db = Create();
        await db.WriteAsync((c, tx, ct) => c.ExecuteAsync(new CommandDefinition(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL); INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')", transaction: tx, cancellationToken: ct)), default);

        var some = await db.ReadAsync((c, ct) => c.QueryAsync<string>(new CommandDefinition("SELECT v FROM t WHERE id IN @ids ORDER BY v", new { ids = new[] { 1L, 3L } }, cancellationToken: ct)), default);
        var none = await db.ReadAsync((c, ct) => c.QueryAsync<string>(new CommandDefinition("SELECT v FROM t WHERE v IN @vs", new { vs = Array.Empty<string>() }, cancellationToken: ct)), default);
        var batch = await db.WriteAsync(async (c, tx, ct) =>
        {
            using var grid = await c.QueryMultipleAsync(new CommandDefinition("SELECT count(*) FROM t WHERE id IN @ids; SELECT max(v) FROM t WHERE id IN @ids", new { ids = new List<long> { 1, 2 } }, tx, cancellationToken: ct));
            return (await grid.ReadSingleAsync<long>(), await grid.ReadSingleAsync<string>());
        }, default);

        Assert.Equal(["a", "c"], some);
        Assert.Empty(none);
        Assert.Equal((2L, "b"), batch);
    }

    [Fact]
    public async Task A_failing_write_rolls_back_all_its_statements()
    {
        await using var db = Create();
        await db.WriteAsync((c, tx, ct) => c.ExecuteAsync(new CommandDefinition("CREATE TABLE t (id INTEGER PRIMARY KEY)", transaction: tx, cancellationToken: ct)), default);

        var ex = await Assert.ThrowsAsync<PostgresException>(() => db.WriteAsync<int>(async (c, tx, ct) =>
        {
            await c.ExecuteAsync(new CommandDefinition("INSERT INTO t VALUES (1)", transaction: tx, cancellationToken: ct));
            return await c.ExecuteAsync(new CommandDefinition("INSERT INTO t VALUES (1)", transaction: tx, cancellationToken: ct));
        }, default));

        Assert.True(db.Dialect.IsUniqueViolation(ex));
        Assert.Equal(0L, await db.ReadAsync((c, ct) => c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM t", cancellationToken: ct)), default));
    }

    [Fact]
    public async Task A_deadlocked_write_is_retried_and_both_succeed()
    {
        await using var db = Create();
        await db.WriteAsync((c, tx, ct) => c.ExecuteAsync(new CommandDefinition(
            "CREATE TABLE acct (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); INSERT INTO acct VALUES (1, 0), (2, 0)", transaction: tx, cancellationToken: ct)), default);

        // Both writers lock their first row, wait for each other, then reach for the other's row:
        // PostgreSQL aborts one with 40P01 and the database must re-run it.
        var firstLocked = new[] { new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var attempts = new int[2];

        Task<int> Writer(int me, int first, int second) => db.WriteAsync(async (c, tx, ct) =>
        {
            var attempt = Interlocked.Increment(ref attempts[me]);
            await c.ExecuteAsync(new CommandDefinition("UPDATE acct SET n = n + 1 WHERE id = @id", new { id = first }, tx, cancellationToken: ct));
            if (attempt == 1)
            {
                firstLocked[me].TrySetResult();
                await firstLocked[1 - me].Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
            }

            return await c.ExecuteAsync(new CommandDefinition("UPDATE acct SET n = n + 1 WHERE id = @id", new { id = second }, tx, cancellationToken: ct));
        }, default);

        await Task.WhenAll(Writer(0, 1, 2), Writer(1, 2, 1));

        Assert.Equal(3, attempts[0] + attempts[1]);
        var rows = await db.ReadAsync((c, ct) => c.QueryAsync<int>(new CommandDefinition("SELECT n FROM acct ORDER BY id", cancellationToken: ct)), default);
        Assert.Equal([2, 2], rows);
    }

    [Fact]
    public async Task Serializable_counter_increments_are_retried_until_none_is_lost()
    {
        await using var db = Create(o => o with { WriteIsolation = IsolationLevel.Serializable, MaxConflictRetries = 50 });
        await db.WriteAsync((c, tx, ct) => c.ExecuteAsync(new CommandDefinition(
            "CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); INSERT INTO counter VALUES (1, 0)", transaction: tx, cancellationToken: ct)), default);

        // Read-then-write: under SERIALIZABLE concurrent increments fail with 40001 instead of losing updates.
        await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(() => db.WriteAsync(async (c, tx, ct) =>
        {
            var n = await c.ExecuteScalarAsync<int>(new CommandDefinition("SELECT n FROM counter WHERE id = 1", transaction: tx, cancellationToken: ct));
            await Task.Yield();
            return await c.ExecuteAsync(new CommandDefinition("UPDATE counter SET n = @n WHERE id = 1", new { n = n + 1 }, tx, cancellationToken: ct));
        }, default))));

        Assert.Equal(12, await db.ReadAsync((c, ct) => c.ExecuteScalarAsync<int>(new CommandDefinition("SELECT n FROM counter", cancellationToken: ct)), default));
    }

    [Fact]
    public async Task Conflict_retries_are_bounded()
    {
        await using var db = Create(o => o with { MaxConflictRetries = 2 });
        var calls = 0;
        var ex = await Assert.ThrowsAsync<PostgresException>(() => db.WriteAsync<int>((_, _, _) =>
        {
            calls++;
            throw new PostgresException("could not serialize access", "ERROR", "ERROR", PostgresErrorCodes.SerializationFailure);
        }, default));

        Assert.Equal(PostgresErrorCodes.SerializationFailure, ex.SqlState);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task Other_errors_are_not_retried()
    {
        await using var db = Create();
        var calls = 0;
        await Assert.ThrowsAsync<InvalidOperationException>(() => db.WriteAsync<int>((_, _, _) =>
        {
            calls++;
            throw new InvalidOperationException("boom");
        }, default));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Pool_size_comes_from_the_options()
    {
        await using var db = Create(o => o with { MaxPoolSize = 3 });
        Assert.Equal(3, PoolSize(db));

        // More concurrent reads than connections still all complete: they queue for the pool.
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            db.ReadAsync((c, ct) => c.ExecuteScalarAsync<int>(new CommandDefinition("SELECT @i FROM pg_sleep(0.02)", new { i }, cancellationToken: ct)), default)));
        Assert.Equal(Enumerable.Range(0, 10), results);
        var backends = await db.ReadAsync((c, ct) => c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()", cancellationToken: ct)), default);
        Assert.InRange(backends, 1, 3);
    }

    [Fact]
    public async Task Pool_size_defaults_to_the_connection_string_then_to_twenty()
    {
        await using var fromString = PostgresDatabase.Create(new PostgresDatabaseOptions { ConnectionString = _connectionString + ";Maximum Pool Size=7" });
        await using var fromUri = PostgresDatabase.Create(new PostgresDatabaseOptions { ConnectionString = PostgresConnectionUri.ToConnectionString("postgresql://u@h/d?max_pool_size=9") });
        await using var neither = Create();
        await using var both = PostgresDatabase.Create(new PostgresDatabaseOptions { ConnectionString = _connectionString + ";Maximum Pool Size=7", MaxPoolSize = 4 });

        Assert.Equal(7, PoolSize(fromString));
        Assert.Equal(9, PoolSize(fromUri));
        Assert.Equal(PostgresDatabaseOptions.DefaultMaxPoolSize, PoolSize(neither));
        Assert.Equal(4, PoolSize(both));
    }

    private static int PoolSize(PostgresDatabase db) => new NpgsqlConnectionStringBuilder(db.DataSource.ConnectionString).MaxPoolSize;

    [Fact]
    public async Task Exclusive_sections_on_one_lock_never_overlap_across_pools()
    {
        await using var a = Create();
        await using var b = Create();
        var inside = 0;
        var maxInside = 0;

        async Task<int> Section(CancellationToken ct)
        {
            var now = Interlocked.Increment(ref inside);
            InterlockedMax(ref maxInside, now);
            await Task.Delay(30, ct);
            Interlocked.Decrement(ref inside);
            return now;
        }

        await Task.WhenAll(Enumerable.Range(0, 6).Select(i => (i % 2 == 0 ? a : b).RunExclusiveAsync("test-lock", Section, default)));
        Assert.Equal(1, maxInside);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    private PostgresDatabase Create(Func<PostgresDatabaseOptions, PostgresDatabaseOptions>? configure = null)
    {
        var options = new PostgresDatabaseOptions { ConnectionString = _connectionString };
        return PostgresDatabase.Create(configure is null ? options : configure(options));
    }
}
