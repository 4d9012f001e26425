using System.Data.Common;
using Dapper;
using Strata.Core.Tracking;

namespace Strata.Storage.Tracking;

public sealed partial class TrackingStore
{
    private const string HistoryColumns =
        "run_id AS RunId, key AS Key, value AS Value, is_nan AS IsNan, timestamp AS Timestamp, step AS Step, " +
        "model_id AS ModelId, dataset_name AS DatasetName, dataset_digest AS DatasetDigest";

    public Task<Page<Metric>> GetMetricHistoryAsync(string runId, string metricKey, int? maxResults, string? pageToken, CancellationToken ct)
    {
        var fingerprint = "history|" + runId + "|" + metricKey;
        var token = PageToken.Decode(pageToken, fingerprint);
        if (token is { Keys.Count: not 4 })
        {
            throw MlflowExceptionForToken(pageToken!);
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
                var after = token is null ? "" : " AND (timestamp, step, value, is_nan) > (@t, @s, @v, @n)";
                var sql = $"SELECT {HistoryColumns} FROM metrics WHERE run_id = @runId AND key = @metricKey{after} " +
                          "ORDER BY timestamp, step, value, is_nan" + (limit is null ? "" : " LIMIT @take");
                var rows = (await c.QueryAsync<MetricRow>(Cmd(sql, new
                {
                    runId,
                    metricKey,
                    t = token?.Keys![0],
                    s = token?.Keys![1],
                    v = token?.Keys![2],
                    n = token?.Keys![3],
                    take = (limit ?? 0) + 1,
                }, null, ct2)).ConfigureAwait(false)).AsList();

                string? next = null;
                if (limit is not null && rows.Count > limit)
                {
                    rows.RemoveRange(limit.Value, rows.Count - limit.Value);
                    var last = rows[^1];
                    next = new PageToken(fingerprint, [last.Timestamp, last.Step, last.Value, last.IsNan], null).Encode();
                }

                return new Page<Metric>(rows.Select(r => r.ToMetric()).ToList(), next);
            },
            ct);
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
                var range = startStep is null || endStep is null ? "" : " AND step BETWEEN @startStep AND @endStep";

                // Distinct steps per run come off the (run, key, step) index without touching the rows.
                var stepsPerRun = new Dictionary<string, List<long>>(StringComparer.Ordinal);
                foreach (var chunk in Chunk(ids, 1))
                {
                    var rows = await c.QueryAsync<ModelOutputRow>(Cmd(
                        $"SELECT DISTINCT run_id AS RunId, step AS Step FROM metrics WHERE run_id IN @chunk AND key = @metricKey{range} ORDER BY run_id, step",
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
                foreach (var runChunk in Chunk(ids, 1, reserved: 2))
                {
                    foreach (var stepChunk in Chunk(chosen, 1, reserved: runChunk.Count + 2))
                    {
                        points.AddRange(await c.QueryAsync<MetricRow>(Cmd(
                            $"SELECT {HistoryColumns} FROM metrics WHERE run_id IN @runChunk AND key = @metricKey AND step IN @stepChunk",
                            new { runChunk, metricKey, stepChunk }, null, token)).ConfigureAwait(false));
                    }
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

    private static Strata.Core.Errors.MlflowException MlflowExceptionForToken(string token) =>
        Strata.Core.Errors.MlflowException.InvalidParameter($"Invalid page token '{token}'.");

}
