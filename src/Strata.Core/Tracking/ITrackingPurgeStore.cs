namespace Strata.Core.Tracking;

/// <summary>A run in the <c>deleted</c> stage, with what <c>gc</c> needs to remove it for good.</summary>
public sealed record DeletedRun(string RunId, string ExperimentId, string ArtifactUri, long? DeletedTime);

/// <summary>An experiment in the <c>deleted</c> stage; <see cref="LastUpdateTime"/> is when it was deleted.</summary>
public sealed record DeletedExperiment(string ExperimentId, string ArtifactLocation, long LastUpdateTime);

/// <summary>A logged model of an experiment that is being purged.</summary>
public sealed record PurgeableLoggedModel(string ModelId, string ArtifactUri);

/// <summary>
/// Permanent deletion of what users soft-deleted (<c>strata gc</c>, like <c>mlflow gc</c>). Kept apart from
/// <see cref="ITrackingStore"/> because only the maintenance command uses it. Each purge is one
/// transaction, and the caller deletes artifacts before rows, so a crash in between is finished by a rerun.
/// </summary>
public interface ITrackingPurgeStore
{
    /// <summary>Every run in the <c>deleted</c> stage.</summary>
    Task<IReadOnlyList<DeletedRun>> GetDeletedRunsAsync(CancellationToken ct);

    /// <summary>Every experiment in the <c>deleted</c> stage.</summary>
    Task<IReadOnlyList<DeletedExperiment>> GetDeletedExperimentsAsync(CancellationToken ct);

    /// <summary>Every run of the experiment, whatever its stage.</summary>
    Task<IReadOnlyList<DeletedRun>> GetRunsOfExperimentAsync(string experimentId, CancellationToken ct);

    /// <summary>Every logged model of the experiment, whatever its stage.</summary>
    Task<IReadOnlyList<PurgeableLoggedModel>> GetLoggedModelsOfExperimentAsync(string experimentId, CancellationToken ct);

    /// <summary>
    /// Deletes the run and its metrics, params, tags and inputs. The run must be in the <c>deleted</c>
    /// stage or belong to a deleted experiment (INVALID_PARAMETER_VALUE otherwise); an unknown run is a no-op.
    /// </summary>
    Task PurgeRunAsync(string runId, CancellationToken ct);

    /// <summary>
    /// Deletes a deleted experiment that has no runs left, with its tags, datasets and logged models.
    /// INVALID_PARAMETER_VALUE when it is active or still has runs; an unknown experiment is a no-op.
    /// </summary>
    Task PurgeExperimentAsync(string experimentId, CancellationToken ct);
}
