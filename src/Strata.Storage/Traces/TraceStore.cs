using System.Data.Common;
using System.Globalization;
using Dapper;
using Strata.Core.Errors;
using Strata.Core.Search;
using Strata.Core.Traces;
using Strata.Core.Tracking;
using Strata.Storage.Database;
using Strata.Storage.Tracking;
using static Strata.Storage.Traces.TraceRows;

namespace Strata.Storage.Traces;

/// <summary>
/// <see cref="ITraceStore"/> on SQLite or PostgreSQL. Each call's writes are one <see cref="IDatabase.WriteAsync{T}"/>
/// (SQLite's group-commit writer, PostgreSQL's short transactions); reads load a page's tags, metadata and
/// assessments with one query each over the page's ids.
/// </summary>
public sealed partial class TraceStore(IDatabase database) : ITraceStore
{
    private readonly TraceInfoWriter _writer = new(database.Dialect);

    private SqlDialect Dialect => database.Dialect;

    private static CommandDefinition Cmd(string sql, object? parameters, DbTransaction? tx, CancellationToken ct) =>
        new(sql, parameters, tx, cancellationToken: ct);

    private static MlflowException ExperimentNotFound(string experimentId) =>
        MlflowException.NotFound($"No Experiment with id={experimentId} exists");

    internal static bool TryParseExperimentId(string? id, out long value) =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    /// <summary>Where a trace's span data goes: MLflow's <c>&lt;experiment artifacts&gt;/traces/&lt;id&gt;/artifacts</c>.</summary>
    internal static string ArtifactLocationFor(string experimentArtifactLocation, string traceId) =>
        experimentArtifactLocation.TrimEnd('/') + "/traces/" + traceId + "/artifacts";

    private async Task<(long Id, string ArtifactLocation)> RequireActiveExperimentAsync(DbConnection c, DbTransaction tx, string experimentId, CancellationToken ct)
    {
        if (!TryParseExperimentId(experimentId, out var id))
        {
            throw ExperimentNotFound(experimentId);
        }

        var (artifactLocation, lifecycleStage) = await _writer.ReadExperimentAsync(c, tx, id, ct).ConfigureAwait(false)
                                                 ?? throw ExperimentNotFound(experimentId);
        if (lifecycleStage != LifecycleStages.ActiveName)
        {
            throw MlflowException.InvalidParameter(
                $"The experiment {experimentId} must be in the 'active' state to log traces. Current state is {lifecycleStage}.");
        }

        return (id, artifactLocation);
    }

    private static async Task RequireTraceAsync(DbConnection c, DbTransaction? tx, string traceId, CancellationToken ct)
    {
        if (await c.ExecuteScalarAsync<long?>(Cmd("SELECT 1 FROM trace_info WHERE trace_id = @traceId", new { traceId }, tx, ct)).ConfigureAwait(false) is null)
        {
            throw TraceService.TraceNotFound(traceId);
        }
    }

    // ---- traces ----

    public Task<TraceInfo> StartTraceAsync(NewTrace trace, long now, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var (experimentId, experimentArtifacts) = await RequireActiveExperimentAsync(c, tx, trace.ExperimentId, token).ConfigureAwait(false);
            var existed = !await _writer.TryInsertInfoAsync(c, tx, trace, experimentId, token).ConfigureAwait(false);
            if (existed)
            {
                // Span logging (OTLP) created this trace first: complete it in place (its spans and tags stay).
                await c.ExecuteAsync(Cmd(
                    """
                    UPDATE trace_info SET experiment_id = @experimentId, client_request_id = @ClientRequestId, timestamp_ms = @RequestTimeMs,
                        execution_time_ms = @ExecutionDurationMs, state = @state, request_preview = @RequestPreview, response_preview = @ResponsePreview
                    WHERE trace_id = @TraceId
                    """,
                    new
                    {
                        trace.TraceId, experimentId, trace.ClientRequestId, trace.RequestTimeMs, trace.ExecutionDurationMs,
                        state = trace.State.ToString(), trace.RequestPreview, trace.ResponsePreview,
                    }, tx, token)).ConfigureAwait(false);
            }

            var location = ArtifactLocationFor(experimentArtifacts, trace.TraceId);
            var tags = Merge(trace.Tags, [new KeyValue(TraceKeys.ArtifactLocation, location)]);
            await _writer.UpsertPairsAsync(c, tx, "trace_tags", trace.TraceId, tags, token).ConfigureAwait(false);
            var metadata = Merge(trace.Metadata, []);
            await _writer.UpsertPairsAsync(c, tx, "trace_request_metadata", trace.TraceId, metadata, token).ConfigureAwait(false);

            var assessments = new List<Assessment>(trace.Assessments.Count);
            foreach (var assessment in trace.Assessments)
            {
                assessments.Add(await InsertAssessmentAsync(c, tx, trace.TraceId, assessment, now, token).ConfigureAwait(false));
            }

            if (existed)
            {
                return (await LoadInfosAsync(c, tx, [await InfoRowAsync(c, tx, trace.TraceId, token).ConfigureAwait(false) ?? throw TraceService.TraceNotFound(trace.TraceId)], token).ConfigureAwait(false))[0];
            }

            // A new trace is exactly what was just written: no need to read it back inside the writer.
            return new TraceInfo(
                trace.TraceId, experimentId.ToString(CultureInfo.InvariantCulture), trace.ClientRequestId, trace.RequestTimeMs, trace.ExecutionDurationMs,
                trace.State, trace.RequestPreview, trace.ResponsePreview, metadata, tags, assessments);
        }, ct);

    public Task<TraceInfo> EndTraceAsync(string traceId, long endTimeMs, TraceState state, IReadOnlyList<KeyValue> metadata, IReadOnlyList<KeyValue> tags, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var row = await InfoRowAsync(c, tx, traceId, token).ConfigureAwait(false) ?? throw TraceService.TraceNotFound(traceId);
            await c.ExecuteAsync(Cmd(
                "UPDATE trace_info SET execution_time_ms = @duration, state = @state WHERE trace_id = @traceId",
                new { traceId, duration = Math.Max(0, endTimeMs - row.TimestampMs), state = state.ToString() }, tx, token)).ConfigureAwait(false);
            await _writer.UpsertPairsAsync(c, tx, "trace_tags", traceId, Merge(tags, []), token).ConfigureAwait(false);
            await _writer.UpsertPairsAsync(c, tx, "trace_request_metadata", traceId, Merge(metadata, []), token).ConfigureAwait(false);
            var updated = await InfoRowAsync(c, tx, traceId, token).ConfigureAwait(false);
            return (await LoadInfosAsync(c, tx, [updated!], token).ConfigureAwait(false))[0];
        }, ct);

    public Task<TraceInfo?> GetTraceInfoAsync(string traceId, CancellationToken ct) =>
        database.ReadAsync<TraceInfo?>(async (c, token) =>
        {
            var row = await InfoRowAsync(c, null, traceId, token).ConfigureAwait(false);
            return row is null ? null : (await LoadInfosAsync(c, null, [row], token).ConfigureAwait(false))[0];
        }, ct);

    public Task<IReadOnlyList<TraceInfo>> GetTraceInfosAsync(IReadOnlyList<string> traceIds, CancellationToken ct) =>
        database.ReadAsync<IReadOnlyList<TraceInfo>>(async (c, token) =>
        {
            if (traceIds.Count == 0)
            {
                return [];
            }

            var rows = (await c.QueryAsync<InfoRow>(Cmd(
                $"SELECT {InfoColumns} FROM trace_info t WHERE t.trace_id IN (SELECT s.value FROM {Dialect.ListTable("@ids", "s")})",
                new { ids = Dialect.TextListValue(traceIds.Distinct(StringComparer.Ordinal).ToList()) }, null, token)).ConfigureAwait(false)).ToList();
            var infos = await LoadInfosAsync(c, null, rows, token).ConfigureAwait(false);
            var byId = infos.ToDictionary(i => i.TraceId, StringComparer.Ordinal);
            return traceIds.Distinct(StringComparer.Ordinal).Where(byId.ContainsKey).Select(id => byId[id]).ToList();
        }, ct);

    public Task<Page<TraceInfo>> SearchTracesAsync(TraceQuery query, CancellationToken ct) =>
        database.ReadAsync(async (c, token) =>
        {
            var experimentIds = query.ExperimentIds
                .Select(id => TryParseExperimentId(id, out var v) ? v : (long?)null)
                .OfType<long>().Distinct().ToList();
            var fingerprint = SearchSqlBuilder.Fingerprint("traces", query.ExperimentIds, query.Filter, query.OrderBy);
            var token0 = PageToken.Decode(query.PageToken, fingerprint);
            if (token0 is { Keys: null })
            {
                throw MlflowException.InvalidParameter($"Invalid page token '{query.PageToken}'. Pass the next_page_token of a previous response to the same query.");
            }

            if (experimentIds.Count == 0)
            {
                return new Page<TraceInfo>([], null);
            }

            var sql = new TraceSearchSql(Dialect, experimentIds, query, query.MaxResults + 1, token0?.Keys);
            var rows = new List<InfoRow>(query.MaxResults + 1);
            var keys = new List<List<object>>(query.MaxResults + 1);
            await using (var reader = await c.ExecuteReaderAsync(Cmd(sql.Sql, sql.Parameters, null, token)).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    rows.Add(new InfoRow
                    {
                        TraceId = reader.GetString(0),
                        ExperimentId = reader.GetInt64(1),
                        ClientRequestId = reader.IsDBNull(2) ? null : reader.GetString(2),
                        TimestampMs = reader.GetInt64(3),
                        ExecutionTimeMs = reader.IsDBNull(4) ? null : reader.GetInt64(4),
                        State = reader.GetString(5),
                        RequestPreview = reader.IsDBNull(6) ? null : reader.GetString(6),
                        ResponsePreview = reader.IsDBNull(7) ? null : reader.GetString(7),
                    });
                    keys.Add(sql.ReadSortValues(reader, TraceSearchSql.FirstSortOrdinal));
                }
            }

            // One row more than the page was asked for: there is a next page, which resumes after the page's last row.
            string? next = null;
            if (rows.Count > query.MaxResults)
            {
                rows.RemoveAt(rows.Count - 1);
                next = new PageToken(fingerprint, keys[query.MaxResults - 1], null).Encode();
            }

            var infos = await LoadInfosAsync(c, null, rows, token).ConfigureAwait(false);
            return new Page<TraceInfo>(infos, next);
        }, ct);

    public Task<TraceCorrelationCounts> CountFilterCorrelationAsync(
        IReadOnlyList<string> experimentIds, IReadOnlyList<Comparison> filter1, IReadOnlyList<Comparison> filter2,
        IReadOnlyList<Comparison> baseFilter, CancellationToken ct) =>
        database.ReadAsync(async (c, token) =>
        {
            var ids = experimentIds.Select(id => TryParseExperimentId(id, out var v) ? v : (long?)null).OfType<long>().Distinct().ToList();
            // Built even with no experiment, so a bad filter is reported whatever the ids.
            var sql = new TraceCorrelationSql(Dialect, ids.Count == 0 ? [-1L] : ids, filter1, filter2, baseFilter);
            if (ids.Count == 0)
            {
                return new TraceCorrelationCounts(0, 0, 0, 0);
            }

            var row = await c.QuerySingleAsync<CountRow>(Cmd(sql.Sql, sql.Parameters, null, token)).ConfigureAwait(false);
            return new TraceCorrelationCounts(row.Total, row.Filter1, row.Filter2, row.Joint);
        }, ct);

    public Task SetTraceTagAsync(string traceId, KeyValue tag, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            await RequireTraceAsync(c, tx, traceId, token).ConfigureAwait(false);
            await _writer.UpsertPairsAsync(c, tx, "trace_tags", traceId, [tag], token).ConfigureAwait(false);
            return 0;
        }, ct);

    public Task DeleteTraceTagAsync(string traceId, string key, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            await RequireTraceAsync(c, tx, traceId, token).ConfigureAwait(false);
            var deleted = await c.ExecuteAsync(Cmd("DELETE FROM trace_tags WHERE trace_id = @traceId AND key = @key", new { traceId, key }, tx, token)).ConfigureAwait(false);
            if (deleted == 0)
            {
                throw MlflowException.NotFound($"No trace tag with key '{key}' for trace with ID '{traceId}'");
            }

            return 0;
        }, ct);

    public Task<IReadOnlyList<TraceRef>> DeleteTracesAsync(string experimentId, long? maxTimestampMillis, int? maxTraces, IReadOnlyList<string> traceIds, CancellationToken ct) =>
        database.WriteAsync<IReadOnlyList<TraceRef>>(async (c, tx, token) =>
        {
            if (!TryParseExperimentId(experimentId, out var id))
            {
                return [];
            }

            var conditions = new List<string> { "t.experiment_id = @id" };
            if (maxTimestampMillis is not null)
            {
                conditions.Add("t.timestamp_ms <= @maxTimestampMillis");
            }

            if (traceIds.Count > 0)
            {
                conditions.Add($"t.trace_id IN (SELECT s.value FROM {Dialect.ListTable("@ids", "s")})");
            }

            var limit = maxTraces is null ? "" : " LIMIT @maxTraces";
            var refs = await SelectRefsAsync(c, tx,
                $"WHERE {string.Join(" AND ", conditions)} ORDER BY t.timestamp_ms, t.trace_id{limit}",
                new { id, maxTimestampMillis, maxTraces, ids = Dialect.TextListValue(traceIds) }, token).ConfigureAwait(false);
            await DeleteRowsAsync(c, tx, refs.Select(r => r.TraceId).ToList(), token).ConfigureAwait(false);
            return refs;
        }, ct);

    public Task<IReadOnlyList<TraceRef>> GetTracesBeforeAsync(long maxTimestampMillis, int limit, CancellationToken ct) =>
        database.ReadAsync<IReadOnlyList<TraceRef>>((c, token) => SelectRefsAsync(c, null,
            "WHERE t.timestamp_ms <= @maxTimestampMillis ORDER BY t.timestamp_ms, t.trace_id LIMIT @limit", new { maxTimestampMillis, limit }, token), ct);

    public Task<IReadOnlyList<TraceRef>> GetTracesOfExperimentAsync(string experimentId, CancellationToken ct) =>
        database.ReadAsync<IReadOnlyList<TraceRef>>(async (c, token) => TryParseExperimentId(experimentId, out var id)
            ? await SelectRefsAsync(c, null, "WHERE t.experiment_id = @id ORDER BY t.timestamp_ms, t.trace_id", new { id }, token).ConfigureAwait(false)
            : [], ct);

    public Task<int> PurgeTracesAsync(IReadOnlyList<string> traceIds, CancellationToken ct) =>
        database.WriteAsync((c, tx, token) => DeleteRowsAsync(c, tx, traceIds, token), ct);

    public Task LinkTracesToRunAsync(IReadOnlyList<string> traceIds, string runId, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var ids = traceIds.Distinct(StringComparer.Ordinal).ToList();
            var found = (await c.QueryAsync<string>(Cmd(
                $"SELECT t.trace_id FROM trace_info t WHERE t.trace_id IN (SELECT s.value FROM {Dialect.ListTable("@ids", "s")})",
                new { ids = Dialect.TextListValue(ids) }, tx, token)).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
            if (ids.FirstOrDefault(id => !found.Contains(id)) is { } missing)
            {
                throw TraceService.TraceNotFound(missing);
            }

            if (await c.ExecuteScalarAsync<long?>(Cmd("SELECT 1 FROM runs WHERE run_id = @runId", new { runId }, tx, token)).ConfigureAwait(false) is null)
            {
                throw MlflowException.NotFound($"Run with id={runId} not found");
            }

            foreach (var traceId in ids)
            {
                await c.ExecuteAsync(Cmd(
                    $"INSERT INTO trace_run_links (trace_id, run_id) VALUES (@traceId, @runId) {Dialect.OnConflictDoNothing("trace_id, run_id")}",
                    new { traceId, runId }, tx, token)).ConfigureAwait(false);
            }

            return 0;
        }, ct);

    // ---- helpers ----

    private static Task<InfoRow?> InfoRowAsync(DbConnection c, DbTransaction? tx, string traceId, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<InfoRow>(Cmd($"SELECT {InfoColumns} FROM trace_info t WHERE t.trace_id = @traceId", new { traceId }, tx, ct))!;

    private static async Task<IReadOnlyList<TraceRef>> SelectRefsAsync(DbConnection c, DbTransaction? tx, string where, object parameters, CancellationToken ct)
    {
        var rows = await c.QueryAsync<RefRow>(Cmd(
            $"SELECT t.trace_id AS TraceId, t.experiment_id AS ExperimentId, g.value AS ArtifactLocation FROM trace_info t " +
            $"LEFT JOIN trace_tags g ON g.trace_id = t.trace_id AND g.key = '{TraceKeys.ArtifactLocation}' {where}",
            parameters, tx, ct)).ConfigureAwait(false);
        return rows.Select(r => new TraceRef(r.TraceId, r.ExperimentId.ToString(CultureInfo.InvariantCulture), r.ArtifactLocation)).ToList();
    }

    /// <summary>Deletes trace rows; their tags, metadata, assessments, spans and links go by ON DELETE CASCADE.</summary>
    private async Task<int> DeleteRowsAsync(DbConnection c, DbTransaction tx, IReadOnlyList<string> traceIds, CancellationToken ct)
    {
        var deleted = 0;
        foreach (var chunk in traceIds.Chunk(1000))
        {
            deleted += await c.ExecuteAsync(Cmd(
                $"DELETE FROM trace_info WHERE trace_id IN (SELECT s.value FROM {Dialect.ListTable("@ids", "s")})",
                new { ids = Dialect.TextListValue(chunk) }, tx, ct)).ConfigureAwait(false);
        }

        return deleted;
    }

    /// <summary>Later pairs win over earlier ones with the same key; the result is sorted by key.</summary>
    private static List<KeyValue> Merge(IReadOnlyList<KeyValue> pairs, IReadOnlyList<KeyValue> overrides)
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs.Concat(overrides))
        {
            map[pair.Key] = pair.Value;
        }

        return map.Select(p => new KeyValue(p.Key, p.Value)).ToList();
    }

    /// <summary>Fills tags, metadata and assessments for trace rows: one query per child table over the rows' ids.</summary>
    private async Task<IReadOnlyList<TraceInfo>> LoadInfosAsync(DbConnection c, DbTransaction? tx, IReadOnlyList<InfoRow> rows, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return [];
        }

        var ids = new { ids = Dialect.TextListValue(rows.Select(r => r.TraceId).ToList()) };
        var inIds = $"IN (SELECT s.value FROM {Dialect.ListTable("@ids", "s")})";
        var tags = (await c.QueryAsync<PairRow>(Cmd(
            $"SELECT x.trace_id AS TraceId, x.key AS Key, x.value AS Value FROM trace_tags x WHERE x.trace_id {inIds} ORDER BY x.trace_id, x.key",
            ids, tx, ct)).ConfigureAwait(false)).ToLookup(p => p.TraceId, StringComparer.Ordinal);
        var metadata = (await c.QueryAsync<PairRow>(Cmd(
            $"SELECT x.trace_id AS TraceId, x.key AS Key, x.value AS Value FROM trace_request_metadata x WHERE x.trace_id {inIds} ORDER BY x.trace_id, x.key",
            ids, tx, ct)).ConfigureAwait(false)).ToLookup(p => p.TraceId, StringComparer.Ordinal);
        var assessments = (await c.QueryAsync<AssessmentRow>(Cmd(
            $"SELECT {AssessmentColumns} FROM trace_assessments a WHERE a.trace_id {inIds} ORDER BY a.trace_id, a.create_time_ms, a.assessment_id",
            ids, tx, ct)).ConfigureAwait(false)).ToLookup(a => a.TraceId, StringComparer.Ordinal);

        return rows.Select(r => new TraceInfo(
            r.TraceId,
            r.ExperimentId.ToString(CultureInfo.InvariantCulture),
            r.ClientRequestId,
            r.TimestampMs,
            r.ExecutionTimeMs,
            ParseState(r.State),
            r.RequestPreview,
            r.ResponsePreview,
            metadata[r.TraceId].OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new KeyValue(p.Key, p.Value)).ToList(),
            tags[r.TraceId].OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new KeyValue(p.Key, p.Value)).ToList(),
            assessments[r.TraceId].Select(ToAssessment).ToList())).ToList();
    }
}
