using System.Data.Common;
using Dapper;
using Strata.Core.Tracking;

namespace Strata.Storage.Tracking;

public sealed partial class TrackingStore
{
    /// <summary>
    /// Assembles full runs for a page: one query per child table per chunk of run ids (never one per run),
    /// so a page of any size costs a constant number of round trips per chunk.
    /// </summary>
    internal async Task<List<Run>> LoadRunsAsync(DbConnection c, IReadOnlyList<RunRow> rows, CancellationToken ct)
    {
        var parameters = new Dictionary<string, List<KeyValue>>(StringComparer.Ordinal);
        var tags = new Dictionary<string, List<KeyValue>>(StringComparer.Ordinal);
        var metrics = new Dictionary<string, List<Metric>>(StringComparer.Ordinal);
        var datasetInputs = new Dictionary<string, List<DatasetInput>>(StringComparer.Ordinal);
        var modelInputs = new Dictionary<string, List<ModelInput>>(StringComparer.Ordinal);
        var modelOutputs = new Dictionary<string, List<ModelOutput>>(StringComparer.Ordinal);

        if (rows.Count > 0)
        {
            // The page's ids go in as ONE list parameter, so each child table is one indexed probe per id
            // without binding a parameter per id in each of the seven statements.
            var p = new { ids = _dialect.TextListValue(rows.Select(r => r.RunId).ToList()) };
            using var grid = await c.QueryMultipleAsync(Cmd(
                RunChildrenSql,
                p, null, ct)).ConfigureAwait(false);

            foreach (var row in await grid.ReadAsync<OwnedKeyValueRow>().ConfigureAwait(false))
            {
                GetList(parameters, row.OwnerId).Add(new KeyValue(row.Key, row.Value));
            }

            foreach (var row in await grid.ReadAsync<OwnedKeyValueRow>().ConfigureAwait(false))
            {
                GetList(tags, row.OwnerId).Add(new KeyValue(row.Key, row.Value));
            }

            foreach (var row in await grid.ReadAsync<MetricRow>().ConfigureAwait(false))
            {
                GetList(metrics, row.RunId).Add(row.ToMetric());
            }

            var datasets = (await grid.ReadAsync<DatasetInputRow>().ConfigureAwait(false)).ToList();
            var inputTags = (await grid.ReadAsync<InputTagRow>().ConfigureAwait(false))
                .GroupBy(t => (t.RunId, t.DatasetId))
                .ToDictionary(g => g.Key, g => (IReadOnlyList<KeyValue>)g.Select(t => new KeyValue(t.Key, t.Value)).ToList());
            foreach (var d in datasets)
            {
                GetList(datasetInputs, d.RunId).Add(new DatasetInput(
                    inputTags.TryGetValue((d.RunId, d.DatasetId), out var t) ? t : [],
                    new Dataset(d.Name, d.Digest, d.SourceType, d.Source, d.DatasetSchema, d.Profile)));
            }

            foreach (var row in await grid.ReadAsync<OwnedKeyValueRow>().ConfigureAwait(false))
            {
                GetList(modelInputs, row.OwnerId).Add(new ModelInput(row.Key));
            }

            foreach (var row in await grid.ReadAsync<ModelOutputRow>().ConfigureAwait(false))
            {
                GetList(modelOutputs, row.RunId).Add(new ModelOutput(row.ModelId, row.Step));
            }
        }

        return rows.Select(r => new Run(
            ToRunInfo(r),
            new RunData(Get(metrics, r.RunId), Get(parameters, r.RunId), Get(tags, r.RunId)),
            new RunInputs(Get(datasetInputs, r.RunId), Get(modelInputs, r.RunId)),
            new RunOutputs(Get(modelOutputs, r.RunId)))).ToList();
    }

    /// <summary>Params, tags, latest metrics, dataset inputs, input tags, model inputs and outputs of the runs in list parameter @ids.</summary>
    internal string RunChildrenSql =>
        $$"""
            SELECT run_id AS OwnerId, key AS Key, value AS Value FROM params WHERE run_id IN (SELECT value FROM {{_dialect.ListTable("@ids", "l")}}) ORDER BY run_id, key;
            SELECT run_id AS OwnerId, key AS Key, value AS Value FROM tags WHERE run_id IN (SELECT value FROM {{_dialect.ListTable("@ids", "l")}}) ORDER BY run_id, key;
            SELECT run_id AS RunId, key AS Key, value AS Value, is_nan AS IsNan, timestamp AS Timestamp, step AS Step
                FROM latest_metrics WHERE run_id IN (SELECT value FROM {{_dialect.ListTable("@ids", "l")}}) ORDER BY run_id, key;
            SELECT i.run_id AS RunId, d.dataset_id AS DatasetId, d.name AS Name, d.digest AS Digest, d.source_type AS SourceType,
                   d.source AS Source, d.dataset_schema AS DatasetSchema, d.profile AS Profile
                FROM inputs i JOIN datasets d ON d.dataset_id = i.dataset_id WHERE i.run_id IN (SELECT value FROM {{_dialect.ListTable("@ids", "l")}}) ORDER BY i.run_id, d.dataset_id;
            SELECT run_id AS RunId, dataset_id AS DatasetId, key AS Key, value AS Value FROM input_tags WHERE run_id IN (SELECT value FROM {{_dialect.ListTable("@ids", "l")}}) ORDER BY run_id, dataset_id, key;
            SELECT run_id AS OwnerId, model_id AS Key, '' AS Value FROM run_model_inputs WHERE run_id IN (SELECT value FROM {{_dialect.ListTable("@ids", "l")}}) ORDER BY run_id, model_id;
            SELECT run_id AS RunId, model_id AS ModelId, step AS Step FROM run_model_outputs WHERE run_id IN (SELECT value FROM {{_dialect.ListTable("@ids", "l")}}) ORDER BY run_id, model_id, step
            """;

    private static List<T> GetList<T>(Dictionary<string, List<T>> map, string key)
    {
        if (!map.TryGetValue(key, out var list))
        {
            map[key] = list = [];
        }

        return list;
    }

    private static IReadOnlyList<T> Get<T>(Dictionary<string, List<T>> map, string key) =>
        map.TryGetValue(key, out var list) ? list : [];
}
