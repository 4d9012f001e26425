using System.Data.Common;
using Dapper;
using Strata.Core.Errors;
using Strata.Core.Traces;
using Strata.Core.Tracking;
using static Strata.Storage.Traces.TraceRows;

namespace Strata.Storage.Traces;

public sealed partial class TraceStore
{
    public Task<Assessment> CreateAssessmentAsync(string traceId, NewAssessment assessment, long now, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            await RequireTraceAsync(c, tx, traceId, token).ConfigureAwait(false);
            return await InsertAssessmentAsync(c, tx, traceId, assessment, now, token).ConfigureAwait(false);
        }, ct);

    public Task<Assessment> GetAssessmentAsync(string traceId, string assessmentId, CancellationToken ct) =>
        database.ReadAsync(async (c, token) => ToAssessment(await RequireAssessmentAsync(c, null, traceId, assessmentId, token).ConfigureAwait(false)), ct);

    public Task<Assessment> UpdateAssessmentAsync(string traceId, string assessmentId, AssessmentUpdate update, long now, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var existing = ToAssessment(await RequireAssessmentAsync(c, tx, traceId, assessmentId, token).ConfigureAwait(false));
            if (update.ValueKind is { } kind && kind != existing.Kind)
            {
                throw MlflowException.InvalidParameter(kind == AssessmentKind.Expectation
                    ? "Cannot update expectation value on a Feedback assessment."
                    : "Cannot update feedback value on an Expectation assessment.");
            }

            var metadata = existing.Metadata;
            if (update.Metadata is not null)
            {
                var merged = existing.Metadata.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
                foreach (var pair in update.Metadata)
                {
                    merged[pair.Key] = pair.Value;
                }

                metadata = merged.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new KeyValue(p.Key, p.Value)).ToList();
            }

            var valueChanged = update.ValueKind is not null;
            var updated = existing with
            {
                Name = update.Name ?? existing.Name,
                ValueJson = valueChanged ? update.ValueJson : existing.ValueJson,
                SerializedValue = valueChanged ? update.SerializedValue : existing.SerializedValue,
                // A new feedback value replaces its error too (a computed value clears an earlier failure).
                Error = valueChanged ? update.Error : existing.Error,
                Rationale = update.Rationale ?? existing.Rationale,
                Metadata = metadata,
                Valid = update.Valid ?? existing.Valid,
                LastUpdateTimeMs = now,
            };
            await c.ExecuteAsync(Cmd(
                """
                UPDATE trace_assessments SET name = @Name, value = @ValueJson, serialized_format = @SerializedFormat, serialized_value = @SerializedValue,
                    error_code = @ErrorCode, error_message = @ErrorMessage, error_stack_trace = @ErrorStackTrace, rationale = @Rationale,
                    metadata = @Metadata, valid = @Valid, last_update_time_ms = @LastUpdateTimeMs
                WHERE trace_id = @TraceId AND assessment_id = @AssessmentId
                """,
                new
                {
                    updated.Name, updated.ValueJson, SerializedFormat = updated.SerializedValue?.Format, SerializedValue = updated.SerializedValue?.Value,
                    updated.Error?.ErrorCode, updated.Error?.ErrorMessage, ErrorStackTrace = updated.Error?.StackTrace, updated.Rationale,
                    Metadata = WriteMap(updated.Metadata), Valid = updated.Valid ? 1 : 0, updated.LastUpdateTimeMs, updated.TraceId, updated.AssessmentId,
                }, tx, token)).ConfigureAwait(false);
            return updated;
        }, ct);

    public Task DeleteAssessmentAsync(string traceId, string assessmentId, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var overrides = await c.QuerySingleOrDefaultAsync<string?>(Cmd(
                "DELETE FROM trace_assessments WHERE trace_id = @traceId AND assessment_id = @assessmentId RETURNING overrides",
                new { traceId, assessmentId }, tx, token)).ConfigureAwait(false);
            if (overrides is not null)
            {
                // The assessment this one overrode counts again.
                await c.ExecuteAsync(Cmd(
                    "UPDATE trace_assessments SET valid = 1 WHERE trace_id = @traceId AND assessment_id = @overrides",
                    new { traceId, overrides }, tx, token)).ConfigureAwait(false);
            }

            return 0;
        }, ct);

    private async Task<Assessment> InsertAssessmentAsync(DbConnection c, DbTransaction tx, string traceId, NewAssessment a, long now, CancellationToken ct)
    {
        if (a.Overrides is { Length: > 0 } overrides)
        {
            var invalidated = await c.ExecuteAsync(Cmd(
                "UPDATE trace_assessments SET valid = 0 WHERE trace_id = @traceId AND assessment_id = @overrides",
                new { traceId, overrides }, tx, ct)).ConfigureAwait(false);
            if (invalidated == 0)
            {
                throw MlflowException.NotFound($"Assessment with ID '{overrides}' not found for trace '{traceId}'");
            }
        }

        var created = new Assessment(
            string.IsNullOrEmpty(a.AssessmentId) ? "a-" + Guid.NewGuid().ToString("N") : a.AssessmentId,
            traceId,
            a.Name,
            a.SpanId,
            a.Source,
            a.CreateTimeMs ?? now,
            a.LastUpdateTimeMs ?? a.CreateTimeMs ?? now,
            a.Kind,
            a.ValueJson,
            a.SerializedValue,
            a.Error,
            a.Rationale,
            a.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal).ToList(),
            string.IsNullOrEmpty(a.Overrides) ? null : a.Overrides,
            a.Valid);
        try
        {
            await c.ExecuteAsync(Cmd(
                """
                INSERT INTO trace_assessments (assessment_id, trace_id, name, span_id, source_type, source_id, create_time_ms, last_update_time_ms, kind,
                    value, serialized_format, serialized_value, error_code, error_message, error_stack_trace, rationale, metadata, overrides, valid)
                VALUES (@AssessmentId, @TraceId, @Name, @SpanId, @SourceType, @SourceId, @CreateTimeMs, @LastUpdateTimeMs, @Kind,
                    @ValueJson, @SerializedFormat, @SerializedValue, @ErrorCode, @ErrorMessage, @ErrorStackTrace, @Rationale, @Metadata, @Overrides, @Valid)
                """,
                new
                {
                    created.AssessmentId, created.TraceId, created.Name, created.SpanId, created.Source?.SourceType, created.Source?.SourceId,
                    created.CreateTimeMs, created.LastUpdateTimeMs, Kind = KindName(created.Kind), created.ValueJson,
                    SerializedFormat = created.SerializedValue?.Format, SerializedValue = created.SerializedValue?.Value,
                    created.Error?.ErrorCode, created.Error?.ErrorMessage, ErrorStackTrace = created.Error?.StackTrace, created.Rationale,
                    Metadata = WriteMap(created.Metadata), created.Overrides, Valid = created.Valid ? 1 : 0,
                }, tx, ct)).ConfigureAwait(false);
        }
        catch (Exception ex) when (Dialect.IsUniqueViolation(ex))
        {
            throw MlflowException.AlreadyExists($"Assessment with ID '{created.AssessmentId}' already exists.");
        }

        return created;
    }

    private static async Task<AssessmentRow> RequireAssessmentAsync(DbConnection c, DbTransaction? tx, string traceId, string assessmentId, CancellationToken ct)
    {
        var row = await c.QuerySingleOrDefaultAsync<AssessmentRow>(Cmd(
            $"SELECT {AssessmentColumns} FROM trace_assessments a WHERE a.trace_id = @traceId AND a.assessment_id = @assessmentId",
            new { traceId, assessmentId }, tx, ct)).ConfigureAwait(false);
        if (row is not null)
        {
            return row;
        }

        await RequireTraceAsync(c, tx, traceId, ct).ConfigureAwait(false);
        throw MlflowException.NotFound($"Assessment with ID '{assessmentId}' not found for trace '{traceId}'");
    }
}
