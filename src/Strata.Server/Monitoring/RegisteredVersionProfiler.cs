using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Core.Errors;
using Strata.Core.Monitoring;
using Strata.Storage.Monitoring;

namespace Strata.Server.Monitoring;

/// <summary>
/// Profiles newly registered versions: reads the registry's event log after a stored cursor for
/// <c>model_version.created</c>, computes each version's reference profile from its run's logged training dataset, and
/// moves the cursor. A version whose run logged no readable dataset is skipped (logged at debug level); its profile
/// can be computed or uploaded later through the API.
/// </summary>
public sealed partial class RegisteredVersionProfiler(
    MonitoringService service, MonitoringEventReader events, IOptions<MonitoringOptions> options, TimeProvider time, ILogger<RegisteredVersionProfiler> logger)
    : BackgroundService
{
    public const string CursorName = "profile-on-register";

    private const int BatchSize = 100;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.ProfileOnRegister)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await RunOnceAsync(stoppingToken).ConfigureAwait(false) == BatchSize)
                {
                }

                await Task.Delay(options.Value.RegistryPollInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogFailed(logger, e);
                await Task.Delay(options.Value.RegistryPollInterval, time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Profiles the versions created since the cursor (at most one batch); returns how many events were read.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var store = service.Store;
        var after = await store.GetCursorAsync(CursorName, ct).ConfigureAwait(false);
        var created = await events.ListCreatedVersionsAsync(after, BatchSize, ct).ConfigureAwait(false);
        foreach (var (id, model, version) in created)
        {
            if (await store.GetProfileAsync(model, version, ct).ConfigureAwait(false) is null)
            {
                try
                {
                    var v = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    var profile = await service.ComputeProfileAsync(model, v, null, null, ct).ConfigureAwait(false);
                    LogProfiled(logger, model, version, profile.Profile.RowCount);
                }
                catch (MlflowException e)
                {
                    LogSkipped(logger, model, version, e.Message);
                }
            }

            await store.SetCursorAsync(CursorName, id, ct).ConfigureAwait(false);
        }

        return created.Count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Profiled {Model} v{Version} from {Rows} rows of its training data")]
    private static partial void LogProfiled(ILogger logger, string model, long version, long rows);

    [LoggerMessage(Level = LogLevel.Debug, Message = "No reference profile for {Model} v{Version}: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string model, long version, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Profiling newly registered versions failed")]
    private static partial void LogFailed(ILogger logger, Exception e);
}
