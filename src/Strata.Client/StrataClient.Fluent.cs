using System.Reflection;
using Microsoft.Extensions.Logging;
using Strata.Core.Tracking;

namespace Strata.Client;

public sealed partial class StrataClient
{
    /// <summary>
    /// Starts a run: in <paramref name="experimentId"/>, else in the experiment named <paramref name="experimentName"/>
    /// (created if absent), else in the one named by STRATA_EXPERIMENT_NAME / MLFLOW_EXPERIMENT_NAME, else in "0".
    /// Dispose it (<c>await using</c>) or call <see cref="StrataRun.EndAsync"/> to end it.
    /// </summary>
    public async Task<StrataRun> StartRunAsync(
        string? experimentName = null,
        string? runName = null,
        string? experimentId = null,
        IEnumerable<KeyValue>? tags = null,
        StrataRun? parent = null,
        CancellationToken ct = default)
    {
        experimentId ??= parent?.ExperimentId;
        if (experimentId is null)
        {
            experimentName ??= Environment.GetEnvironmentVariable("STRATA_EXPERIMENT_NAME")
                ?? Environment.GetEnvironmentVariable("MLFLOW_EXPERIMENT_NAME");
            experimentId = experimentName is null ? "0" : await GetOrCreateExperimentAsync(experimentName, ct).ConfigureAwait(false);
        }
        var allTags = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["mlflow.user"] = Options.UserId ?? Environment.UserName,
            ["mlflow.source.name"] = Assembly.GetEntryAssembly()?.GetName().Name ?? Environment.ProcessPath ?? "dotnet",
            ["mlflow.source.type"] = "LOCAL",
        };
        if (parent is not null)
        {
            allTags[StrataRun.ParentRunIdTag] = parent.RunId;
        }
        foreach (var tag in tags ?? [])
        {
            allTags[tag.Key] = tag.Value;
        }
        var run = await CreateRunAsync(
            experimentId, runName, allTags.Select(kv => new KeyValue(kv.Key, kv.Value)).ToList(), ct: ct).ConfigureAwait(false);
        return new StrataRun(this, run, parent);
    }

    /// <summary>
    /// Runs <paramref name="body"/> inside a run that ends FINISHED when it returns, FAILED when it throws,
    /// KILLED when it is cancelled; the exception is rethrown. The reliable form of <c>with mlflow.start_run()</c>.
    /// </summary>
    public Task<T> RunAsync<T>(
        string? experimentName, Func<StrataRun, Task<T>> body, string? runName = null, IEnumerable<KeyValue>? tags = null,
        CancellationToken ct = default) =>
        RunScopeAsync(StartRunAsync(experimentName, runName, tags: tags, ct: ct), body, ct);

    public Task RunAsync(
        string? experimentName, Func<StrataRun, Task> body, string? runName = null, IEnumerable<KeyValue>? tags = null,
        CancellationToken ct = default) =>
        RunAsync<bool>(experimentName, async r => { await body(r).ConfigureAwait(false); return true; }, runName, tags, ct);

    internal static async Task<T> RunScopeAsync<T>(Task<StrataRun> start, Func<StrataRun, Task<T>> body, CancellationToken ct)
    {
        var run = await start.ConfigureAwait(false);
        T result;
        try
        {
            result = await body(run).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var status = ex is OperationCanceledException ? RunStatus.KILLED : RunStatus.FAILED;
            try
            {
                // Not the caller's token: a cancelled body must still get its status recorded.
                await run.EndAsync(status, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception endError)
            {
                run.Client.Logger.LogError(endError, "Ending run {RunId} as {Status} failed", run.RunId, status);
            }
            throw;
        }
        await run.EndAsync(RunStatus.FINISHED, ct).ConfigureAwait(false);
        return result;
    }
}
