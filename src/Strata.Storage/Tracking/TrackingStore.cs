using System.Data.Common;
using System.Globalization;
using Dapper;
using Strata.Core.Errors;
using Strata.Core.Tracking;
using Strata.Storage.Database;

namespace Strata.Storage.Tracking;

/// <summary>
/// <see cref="ITrackingStore"/> on any <see cref="IDatabase"/> with shared SQL; what differs
/// between SQLite and PostgreSQL sits behind <see cref="SqlDialect"/>. Every call's writes go
/// through one <see cref="IDatabase.WriteAsync{T}"/>, and the rules that need a consistent read
/// (names unique, run active, params immutable) are checked inside that same transaction.
/// </summary>
public sealed partial class TrackingStore(IDatabase database) : ITrackingStore
{
    internal const string RunNameTag = "mlflow.runName";
    internal const string LogModelHistoryTag = "mlflow.log-model.history";
    internal const string DatasetContextTag = "mlflow.data.context";

    private readonly SqlDialect _dialect = database.Dialect;

    internal IDatabase Database => database;

    private static CommandDefinition Cmd(string sql, object? parameters, DbTransaction? tx, CancellationToken ct) =>
        new(sql, parameters, tx, cancellationToken: ct);

    /// <summary>Experiment ids are integers in the database; anything else names no experiment.</summary>
    internal static bool TryParseExperimentId(string? id, out long value) =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static long ParseExistingExperimentId(string experimentId) =>
        TryParseExperimentId(experimentId, out var id) ? id : throw ExperimentNotFound(experimentId);

    private static MlflowException ExperimentNotFound(string experimentId) =>
        MlflowException.NotFound($"No Experiment with id={experimentId} exists");

    private static MlflowException RunNotFound(string runId) => MlflowException.NotFound($"Run with id={runId} not found");

    private static string JoinUri(string root, string child) => root.TrimEnd('/') + "/" + child;

    /// <summary>Reads the run's stage inside the write; throws unless the run exists and is active.</summary>
    private static async Task<long> RequireActiveRunAsync(DbConnection c, DbTransaction tx, string runId, CancellationToken ct)
    {
        var row = await c.QuerySingleOrDefaultAsync<RunRow>(
                      Cmd("SELECT lifecycle_stage AS LifecycleStage, experiment_id AS ExperimentId FROM runs WHERE run_id = @runId", new { runId }, tx, ct)).ConfigureAwait(false)
                  ?? throw RunNotFound(runId);
        if (row.LifecycleStage != LifecycleStages.ActiveName)
        {
            throw MlflowException.InvalidParameter(
                $"The run {runId} must be in the 'active' state. Current state is {row.LifecycleStage}.");
        }

        return row.ExperimentId;
    }

    private static async Task<ExperimentRow> RequireExperimentAsync(DbConnection c, DbTransaction? tx, string experimentId, CancellationToken ct)
    {
        var id = ParseExistingExperimentId(experimentId);
        return await c.QuerySingleOrDefaultAsync<ExperimentRow>(
                   Cmd($"SELECT {ExperimentColumns} FROM experiments WHERE experiment_id = @id", new { id }, tx, ct)).ConfigureAwait(false)
               ?? throw ExperimentNotFound(experimentId);
    }

    private static void RequireActiveExperiment(ExperimentRow experiment, string action)
    {
        if (experiment.LifecycleStage != LifecycleStages.ActiveName)
        {
            throw MlflowException.InvalidParameter(
                $"The experiment {experiment.ExperimentId} must be in the 'active' state to {action}. Current state is {experiment.LifecycleStage}.");
        }
    }

    /// <summary>Splits a list into chunks that keep a statement under the dialect's parameter limit.</summary>
    private IEnumerable<IReadOnlyList<T>> Chunk<T>(IReadOnlyList<T> items, int parametersPerItem, int reserved = 16)
    {
        var size = Math.Max(1, Math.Min(1000, (_dialect.MaxParametersPerStatement - reserved) / parametersPerItem));
        for (var i = 0; i < items.Count; i += size)
        {
            yield return items.Skip(i).Take(size).ToList();
        }
    }
}
