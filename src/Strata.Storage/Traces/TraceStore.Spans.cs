using Dapper;
using Strata.Core.Traces;
using Strata.Core.Tracking;
using static Strata.Storage.Traces.TraceRows;

namespace Strata.Storage.Traces;

public sealed partial class TraceStore
{
    public Task LogSpansAsync(string experimentId, string traceId, IReadOnlyList<TraceSpan> spans, long now, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var (id, artifacts) = await RequireActiveExperimentAsync(c, tx, experimentId, token).ConfigureAwait(false);
            var startMs = spans.Min(s => s.StartTimeUnixNano) / 1_000_000;
            var ends = spans.Where(s => s.EndTimeUnixNano is not null).Select(s => s.EndTimeUnixNano!.Value).ToList();
            long? endMs = ends.Count == 0 ? null : ends.Max() / 1_000_000;
            var root = spans.FirstOrDefault(s => string.IsNullOrEmpty(s.ParentSpanId));
            TraceState? rootState = root is null ? null : root.Status == "ERROR" ? TraceState.ERROR : TraceState.OK;

            var row = await c.QuerySingleOrDefaultAsync<InfoRow>(Cmd(
                $"SELECT {InfoColumns} FROM trace_info t WHERE t.trace_id = @traceId", new { traceId }, tx, token)).ConfigureAwait(false);
            if (row is null)
            {
                await c.ExecuteAsync(Cmd(
                    """
                    INSERT INTO trace_info (trace_id, experiment_id, timestamp_ms, execution_time_ms, state)
                    VALUES (@traceId, @id, @startMs, @duration, @state)
                    """,
                    new { traceId, id, startMs, duration = endMs - startMs, state = (rootState ?? TraceState.IN_PROGRESS).ToString() }, tx, token)).ConfigureAwait(false);
                await c.ExecuteAsync(Cmd(
                    "INSERT INTO trace_tags (trace_id, key, value) VALUES (@traceId, @key, @value)",
                    new { traceId, key = TraceKeys.ArtifactLocation, value = ArtifactLocationFor(artifacts, traceId) }, tx, token)).ConfigureAwait(false);
            }
            else
            {
                // Widen the trace's time range to cover these spans; a root span settles a state still open.
                var start = Math.Min(row.TimestampMs, startMs);
                long? end = row.ExecutionTimeMs is { } d ? row.TimestampMs + d : null;
                if (endMs is { } e)
                {
                    end = end is null ? e : Math.Max(end.Value, e);
                }

                var state = row.State is nameof(TraceState.IN_PROGRESS) or nameof(TraceState.STATE_UNSPECIFIED) && rootState is { } rs
                    ? rs.ToString()
                    : row.State;
                await c.ExecuteAsync(Cmd(
                    "UPDATE trace_info SET timestamp_ms = @start, execution_time_ms = @duration, state = @state WHERE trace_id = @traceId",
                    new { traceId, start, duration = end - start, state }, tx, token)).ConfigureAwait(false);
            }

            await c.ExecuteAsync(Cmd(
                """
                INSERT INTO trace_spans (trace_id, span_id, parent_span_id, name, span_type, status, start_time_unix_nano, end_time_unix_nano, content)
                VALUES (@TraceId, @SpanId, @ParentSpanId, @Name, @SpanType, @Status, @StartTimeUnixNano, @EndTimeUnixNano, @ContentJson)
                ON CONFLICT (trace_id, span_id) DO UPDATE SET parent_span_id = excluded.parent_span_id, name = excluded.name, span_type = excluded.span_type,
                    status = excluded.status, start_time_unix_nano = excluded.start_time_unix_nano, end_time_unix_nano = excluded.end_time_unix_nano,
                    content = excluded.content
                """,
                spans, tx, token)).ConfigureAwait(false);
            return 0;
        }, ct);

    public Task<IReadOnlyList<TraceSpan>> GetSpansAsync(string traceId, CancellationToken ct) =>
        database.ReadAsync<IReadOnlyList<TraceSpan>>(async (c, token) => (await c.QueryAsync<SpanRow>(Cmd(
            """
            SELECT trace_id AS TraceId, span_id AS SpanId, parent_span_id AS ParentSpanId, name AS Name, span_type AS SpanType, status AS Status,
                start_time_unix_nano AS StartTimeUnixNano, end_time_unix_nano AS EndTimeUnixNano, content AS Content
            FROM trace_spans WHERE trace_id = @traceId ORDER BY start_time_unix_nano, span_id
            """,
            new { traceId }, null, token)).ConfigureAwait(false)).Select(ToSpan).ToList(), ct);
}
