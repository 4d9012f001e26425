using Strata.Storage.Database;

namespace Strata.Storage.Migrations;

/// <summary>
/// Indexes for the trace orderings other than the default (newest first, served by
/// <c>ix_trace_info_experiment_time</c>): oldest first, and execution time in either direction. MLflow breaks ties by
/// start time newest first, then trace id, whatever the direction of the first key, so no index serves two orders
/// read backwards: each direction has its own, in exactly the order of the search's ORDER BY.
/// </summary>
/// <remarks>
/// A trace still running has no execution time, and MLflow lists those last in both directions. The search sorts on
/// <c>COALESCE(execution_time_ms, sentinel)</c> (the greatest bigint ascending, the least but one descending) so the
/// sort key is a single non-null expression: a page token resumes with one range seek on these expression indexes.
/// The expressions here must stay the text <c>TraceSearchSql</c> writes, or the planner cannot match them.
/// </remarks>
public sealed class M0014_TraceOrderIndexes : IMigration
{
    public int Version => 14;

    public string Name => "trace-order-indexes";

    public string Sql(SqlDialectKind dialect) => """
        CREATE INDEX ix_trace_info_experiment_time_asc ON trace_info (experiment_id, timestamp_ms, trace_id);
        CREATE INDEX ix_trace_info_experiment_duration_asc
            ON trace_info (experiment_id, (COALESCE(execution_time_ms, 9223372036854775807)), timestamp_ms DESC, trace_id);
        CREATE INDEX ix_trace_info_experiment_duration_desc
            ON trace_info (experiment_id, (COALESCE(execution_time_ms, -9223372036854775807)) DESC, timestamp_ms DESC, trace_id)
        """;
}
