using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Core.Policies;
using Strata.Server.Hosting;

namespace Strata.Server.Policies;

/// <summary>
/// Runs promotion policies in the background: each round turns newly registered versions into decisions and works on
/// every open decision (gate, actions, canary checks). Decisions are leased, so with replicas on one database each is
/// worked on by one process at a time, and a process that stops leaves them for the next round (its own after a restart).
/// </summary>
internal sealed partial class PolicyWorker(PolicyEngine engine, IOptions<StrataServerOptions> options, TimeProvider time, ILogger<PolicyWorker> logger) : BackgroundService
{
    private readonly PoliciesOptions _settings = options.Value.Policies;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_settings.PollInterval, time);
        try
        {
            do
            {
                try
                {
                    foreach (var d in await engine.RunRoundAsync((long)_settings.Lease.TotalMilliseconds, stoppingToken).ConfigureAwait(false))
                    {
                        LogDecision(logger, d.PolicyId, d.ModelName, d.Version, d.Status);
                    }
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogRoundFailed(logger, e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping (or disposed without a stop): not a failure of the service.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Policy round failed")]
    private static partial void LogRoundFailed(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Policy {PolicyId}: {Model} version {Version} is {Status}")]
    private static partial void LogDecision(ILogger logger, string policyId, string model, long version, DecisionStatus status);
}
