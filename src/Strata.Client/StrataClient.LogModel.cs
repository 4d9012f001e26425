using Microsoft.Extensions.Logging;
using Strata.Client.Models;
using Strata.Core.Tracking;

namespace Strata.Client;

/// <summary>Where and how a model is logged (MLflow 3 logged-model flow).</summary>
public sealed record LogModelRequest
{
    /// <summary>The experiment of the logged model; defaults to the source run's.</summary>
    public string? ExperimentId { get; init; }

    /// <summary>The run that produced the model: linked through runs/outputs and written into MLmodel.</summary>
    public string? SourceRunId { get; init; }

    public string? Name { get; init; }

    public string? ModelType { get; init; }

    public IReadOnlyList<KeyValue>? Params { get; init; }

    public IReadOnlyList<KeyValue>? Tags { get; init; }

    /// <summary>The step recorded with the run output link.</summary>
    public long Step { get; init; }

    /// <summary>When set, the model is registered under this name (registered-models/create if needed, then model-versions/create).</summary>
    public string? RegisteredModelName { get; init; }
}

public sealed partial class StrataClient
{
    /// <summary>
    /// Logs a model folder the MLflow 3 way: creates the logged model (PENDING), links it to the source run,
    /// lets <paramref name="writeModel"/> write the MLflow model folder (it gets the logged model, whose id and
    /// artifact URI belong in MLmodel, and an empty folder), uploads the folder through the artifact proxy, marks
    /// it READY (UPLOAD_FAILED if writing or uploading throws), and optionally registers it.
    /// </summary>
    public async Task<LoggedModelResult> LogModelFolderAsync(
        LogModelRequest request, Func<LoggedModel, string, CancellationToken, Task> writeModel, CancellationToken ct = default)
    {
        var experimentId = request.ExperimentId;
        if (experimentId is null)
        {
            experimentId = request.SourceRunId is { } runId
                ? (await GetRunAsync(runId, ct).ConfigureAwait(false)).Info.ExperimentId
                : throw new ArgumentException("A logged model needs an experiment id or a source run.", nameof(request));
        }
        var model = await CreateLoggedModelAsync(
            experimentId, request.Name, request.ModelType, request.SourceRunId, request.Params, request.Tags, ct).ConfigureAwait(false);
        var id = model.Info.ModelId;
        if (request.SourceRunId is not null)
        {
            await LogOutputsAsync(request.SourceRunId, [new ModelOutput(id, request.Step)], ct).ConfigureAwait(false);
        }

        var staging = Directory.CreateTempSubdirectory("strata-model-");
        try
        {
            var folder = Path.Combine(staging.FullName, "model");
            await writeModel(model, folder, ct).ConfigureAwait(false);
            if (!File.Exists(Path.Combine(folder, "MLmodel")))
            {
                throw new InvalidOperationException($"The model writer left no MLmodel file in '{folder}'.");
            }
            await UploadDirectoryToUriAsync(model.Info.ArtifactUri, folder, null, ct).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            try
            {
                await FinalizeLoggedModelAsync(id, LoggedModelStatus.LOGGED_MODEL_UPLOAD_FAILED, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception finalizeError)
            {
                Logger.LogError(finalizeError, "Marking logged model {ModelId} as failed did not succeed", id);
            }
            throw new InvalidOperationException($"Logging model {id} failed: {ex.Message}", ex);
        }
        finally
        {
            staging.Delete(recursive: true);
        }

        model = await FinalizeLoggedModelAsync(id, LoggedModelStatus.LOGGED_MODEL_READY, ct).ConfigureAwait(false);
        var version = request.RegisteredModelName is { } registered
            ? await RegisterModelAsync(registered, "models:/" + id, request.SourceRunId, id, ct: ct).ConfigureAwait(false)
            : null;
        return new LoggedModelResult(model, version);
    }
}
