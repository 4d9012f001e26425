using Dapper;
using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Storage.Tracking;

public sealed partial class TrackingStore : ITrackingHistoryReader
{
    private const string HistoryColumns =
        "metrics.run_id AS RunId, metrics.key AS Key, metrics.value AS Value, metrics.is_nan AS IsNan, metrics.timestamp AS Timestamp, " +
        "metrics.step AS Step, metrics.model_id AS ModelId, metrics.dataset_name AS DatasetName, metrics.dataset_digest AS DatasetDigest";

    public async Task<Page<Metric>> GetMetricHistoryAsync(string runId, string metricKey, int? maxResults, string? pageToken, CancellationToken ct)
    {
        // Sized up front: a page is usually full, and growing a 25k list copies it ~15 times.
        var sink = new MetricListSink(metricKey, maxResults is > 0 ? Math.Min(maxResults.Value, 25_000) : 1024);
        var next = await ReadMetricHistoryAsync(runId, metricKey, maxResults, pageToken, sink, ct).ConfigureAwait(false);
        return new Page<Metric>(sink.Items, next);
    }

    public Task<string?> ReadMetricHistoryAsync(
        string runId, string metricKey, int? maxResults, string? pageToken, IMetricHistorySink sink, CancellationToken ct)
    {
        var fingerprint = "history|" + runId + "|" + metricKey;
        var token = PageToken.Decode(pageToken, fingerprint);
        if (token is not null && token.Keys is not [long, long, double, long])
        {
            throw MlflowException.InvalidParameter($"Invalid page token '{pageToken}'.");
        }

        var limit = maxResults is null or <= 0 ? (int?)null : maxResults.Value;
        return database.ReadAsync(
            async (c, ct2) =>
            {
                var exists = await c.ExecuteScalarAsync<long?>(Cmd("SELECT 1 FROM runs WHERE run_id = @runId", new { runId }, null, ct2)).ConfigureAwait(false);
                if (exists is null)
                {
                    throw RunNotFound(runId);
                }

                // The history key (run, key, timestamp, step, value, is_nan) is exactly this order, so the
                // read - and a keyset page after the last row - is one index range scan.
                var sql = HistorySql(keyset: token is not null, limited: limit is not null);
                var count = 0;
                long lastTimestamp = 0, lastStep = 0, lastNan = 0;
                double lastValue = 0;

                // Read by hand, ordinal and unboxed, and hand each row on as it comes: a 100k-point history
                // is the common large read, and an object per point would double its cost.
                await using var reader = await c.ExecuteReaderAsync(Cmd(sql, new
                {
                    runId,
                    metricKey,
                    t = token?.Keys![0],
                    s = token?.Keys![1],
                    v = token?.Keys![2],
                    n = token?.Keys![3],
                    take = (limit ?? 0) + 1,
                }, null, ct2)).ConfigureAwait(false);
                while (await reader.ReadAsync(ct2).ConfigureAwait(false))
                {
                    if (count == limit)
                    {
                        // One row past the page says there is a next page; the token is the last row's key.
                        return new PageToken(fingerprint, [lastTimestamp, lastStep, lastValue, lastNan], null).Encode();
                    }

                    lastValue = reader.GetDouble(0);
                    lastNan = reader.GetInt64(1);
                    lastTimestamp = reader.GetInt64(2);
                    lastStep = reader.GetInt64(3);
                    count++;
                    var pending = sink.WriteAsync(
                        new MetricHistoryPoint(
                            lastNan != 0 ? double.NaN : lastValue,
                            lastTimestamp,
                            lastStep,
                            reader.IsDBNull(4) ? null : reader.GetString(4),
                            reader.IsDBNull(5) ? null : reader.GetString(5),
                            reader.IsDBNull(6) ? null : reader.GetString(6)),
                        ct2);
                    if (!pending.IsCompletedSuccessfully)
                    {
                        await pending.ConfigureAwait(false);
                    }
                }

                return (string?)null;
            },
            ct);
    }

    /// <summary>Collects a history page as <see cref="Metric"/>s for <see cref="GetMetricHistoryAsync"/>.</summary>
    private sealed class MetricListSink(string key, int capacity) : IMetricHistorySink
    {
        public List<Metric> Items { get; } = new(capacity);

        public ValueTask WriteAsync(in MetricHistoryPoint point, CancellationToken ct)
        {
            Items.Add(new Metric(key, point.Value, point.Timestamp, point.Step, null, point.ModelId, point.DatasetName, point.DatasetDigest));
            return ValueTask.CompletedTask;
        }
    }

    public Task<IReadOnlyList<Metric>> GetMetricHistoryBulkIntervalAsync(
        IReadOnlyList<string> runIds, string metricKey, long? startStep, long? endStep, int maxResults, CancellationToken ct) =>
        database.ReadAsync<IReadOnlyList<Metric>>(
            async (c, token) =>
            {
                if (runIds.Count == 0 || maxResults <= 0)
                {
                    return [];
                }

                var ids = runIds.Distinct(StringComparer.Ordinal).ToList();

                // Distinct steps per run come off the (run, key, step) index without touching the rows.
                var stepsPerRun = new Dictionary<string, List<long>>(StringComparer.Ordinal);
                foreach (var chunk in Chunk(ids, 1))
                {
                    var rows = await c.QueryAsync<ModelOutputRow>(Cmd(
                        BulkStepsSql(range: startStep is not null && endStep is not null),
                        new { chunk, metricKey, startStep, endStep }, null, token)).ConfigureAwait(false);
                    foreach (var row in rows)
                    {
                        GetList(stepsPerRun, row.RunId).Add(row.Step);
                    }
                }

                var chosen = SampleSteps(stepsPerRun.Values, maxResults);
                if (chosen.Count == 0)
                {
                    return [];
                }

                var points = new List<MetricRow>();
                foreach (var runChunk in Chunk(ids, 1, reserved: 4))
                {
                    points.AddRange(await c.QueryAsync<MetricRow>(Cmd(
                        BulkPointsSql(),
                        new { runChunk, metricKey, steps = _dialect.IntegerListValue(chosen) }, null, token)).ConfigureAwait(false));
                }

                var runOrder = ids.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i, StringComparer.Ordinal);
                return points
                    .OrderBy(p => runOrder[p.RunId])
                    .ThenBy(p => p.Step)
                    .ThenBy(p => p.Timestamp)
                    .ThenBy(p => p.IsNan != 0 ? 0d : p.Value)
                    .Select(p => p.ToMetric(withRunId: true))
                    .ToList();
            },
            ct);

    /// <summary>History of one (run, key) in the history key's order; parameters @runId, @metricKey, [@t @s @v @n], [@take].</summary>
    internal static string HistorySql(bool keyset, bool limited) =>
        "SELECT value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest FROM metrics " +
        "WHERE run_id = @runId AND key = @metricKey" +
        (keyset ? " AND (timestamp, step, value, is_nan) > (@t, @s, @v, @n)" : "") +
        " ORDER BY timestamp, step, value, is_nan" +
        (limited ? " LIMIT @take" : "");

    /// <summary>Distinct steps per run for bulk-interval sampling; parameters @chunk (list), @metricKey, [@startStep @endStep].</summary>
    internal static string BulkStepsSql(bool range) =>
        "SELECT DISTINCT run_id AS RunId, step AS Step FROM metrics WHERE run_id IN @chunk AND key = @metricKey" +
        (range ? " AND step BETWEEN @startStep AND @endStep" : "") +
        " ORDER BY run_id, step";

    /// <summary>Every point at the chosen steps; parameters @runChunk (list), @metricKey, @steps (dialect integer list).</summary>
    internal string BulkPointsSql() =>
        // CROSS JOIN keeps the list as the outer loop on SQLite (its planner cannot size json_each and
        // may otherwise rescan the list per history row); each step is then one (run, key, step) lookup.
        $"SELECT {HistoryColumns} FROM {_dialect.ListTable("@steps", "s")} CROSS JOIN metrics " +
        "WHERE metrics.step = s.value AND metrics.run_id IN @runChunk AND metrics.key = @metricKey";

    /// <summary>
    /// Up to <paramref name="maxResults"/> steps spread evenly over the union of the runs' steps,
    /// plus every run's first and last step so each curve keeps its ends.
    /// </summary>
    internal static List<long> SampleSteps(IEnumerable<List<long>> stepsPerRun, int maxResults)
    {
        var runs = stepsPerRun.Where(s => s.Count > 0).ToList();
        var all = new SortedSet<long>();
        foreach (var steps in runs)
        {
            all.UnionWith(steps);
        }

        var chosen = new SortedSet<long>();
        if (all.Count <= maxResults)
        {
            chosen.UnionWith(all);
        }
        else
        {
            var sorted = all.ToArray();
            for (var i = 0; i < maxResults; i++)
            {
                // Evenly spaced indices over the sorted union, first and last included.
                var index = maxResults == 1 ? 0 : (int)Math.Round((double)i * (sorted.Length - 1) / (maxResults - 1));
                chosen.Add(sorted[index]);
            }
        }

        foreach (var steps in runs)
        {
            chosen.Add(steps[0]);
            chosen.Add(steps[^1]);
        }

        return [.. chosen];
    }


}
