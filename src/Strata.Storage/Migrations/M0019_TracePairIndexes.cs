using Strata.Storage.Database;

namespace Strata.Storage.Migrations;

/// <summary>
/// The tag and request-metadata lookup indexes become <c>(key, value)</c> instead of <c>(key, value, trace_id)</c>.
/// Trace ids are random, so the old last column put every new entry at a random place inside its (key, value) group:
/// a trace's seven entries dirtied seven random index pages, written again at every group commit. Without it, an entry
/// sorts by the row's position (SQLite's rowid, PostgreSQL's heap TID, both growing), so new entries append to their
/// group. The artifact-location tag, whose value is unique per trace and never searched in practice, stays out of the
/// tag index (a filter on it reads the table); <c>TraceFilterSql</c> writes the index's condition into every other tag
/// filter so both planners can use it.
/// </summary>
public sealed class M0019_TracePairIndexes : IMigration
{
    /// <summary>The partial tag index's condition, as <c>TraceFilterSql</c> must repeat it word for word.</summary>
    internal const string TagIndexCondition = "key <> 'mlflow.artifactLocation'";

    public int Version => 19;

    public string Name => "trace-pair-indexes";

    public string Sql(SqlDialectKind dialect) => $"""
        DROP INDEX ix_trace_tags_key_value;
        CREATE INDEX ix_trace_tags_key_value ON trace_tags (key, value) WHERE {TagIndexCondition};
        DROP INDEX ix_trace_request_metadata_key_value;
        CREATE INDEX ix_trace_request_metadata_key_value ON trace_request_metadata (key, value)
        """;
}
