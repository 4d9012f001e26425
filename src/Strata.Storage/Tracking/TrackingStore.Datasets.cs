using Dapper;
using Strata.Core.Tracking;

namespace Strata.Storage.Tracking;

public sealed partial class TrackingStore : ITrackingDatasetStore
{
    public Task<IReadOnlyList<DatasetSummary>> SearchDatasetsAsync(IReadOnlyList<string> experimentIds, int maxResults, CancellationToken ct)
    {
        var ids = ExperimentIds(experimentIds);
        if (ids.Count == 0 || maxResults <= 0)
        {
            return Task.FromResult<IReadOnlyList<DatasetSummary>>([]);
        }

        // A dataset used in several contexts is listed once per context, as MLflow does; inputs without a
        // context tag give one row with a null context.
        return database.ReadAsync<IReadOnlyList<DatasetSummary>>(
            async (c, t) => (await c.QueryAsync<DatasetSummaryRow>(Cmd(
                    $"""
                    SELECT s.ExperimentId, s.Name, s.Digest, s.Context FROM (
                        SELECT DISTINCT d.experiment_id AS ExperimentId, d.name AS Name, d.digest AS Digest, it.value AS Context
                        FROM datasets d
                        JOIN inputs i ON i.dataset_id = d.dataset_id
                        LEFT JOIN input_tags it ON it.run_id = i.run_id AND it.dataset_id = i.dataset_id AND it.key = @contextKey
                        WHERE d.experiment_id IN (SELECT value FROM {_dialect.ListTable("@ids", "l")})) s
                    ORDER BY s.ExperimentId, s.Name, s.Digest, CASE WHEN s.Context IS NULL THEN 0 ELSE 1 END, s.Context
                    LIMIT @maxResults
                    """,
                    new { ids = _dialect.IntegerListValue(ids), contextKey = DatasetContextTag, maxResults }, null, t)).ConfigureAwait(false))
                .Select(r => new DatasetSummary(r.ExperimentId.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Name, r.Digest, r.Context))
                .ToList(),
            ct);
    }

    private sealed class DatasetSummaryRow
    {
        public long ExperimentId { get; set; }

        public string Name { get; set; } = "";

        public string Digest { get; set; } = "";

        public string? Context { get; set; }
    }
}
