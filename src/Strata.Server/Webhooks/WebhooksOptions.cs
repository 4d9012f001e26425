using System.Net;
using Strata.Core.Webhooks;

namespace Strata.Server.Webhooks;

/// <summary>How webhook deliveries are made (part of <see cref="Hosting.StrataServerOptions"/>).</summary>
public sealed class WebhooksOptions
{
    /// <summary>How often the dispatcher looks for new events and due retries.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>MLflow's default (<c>MLFLOW_WEBHOOK_REQUEST_TIMEOUT</c>).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a claimed delivery is this process's; a process that dies mid-attempt loses it after this.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Attempts before a delivery is given up (5xx, 429 and network errors are retried; other 4xx are not).</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The first retry's delay; each further one doubles, with up to 50 % jitter, capped at <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>When non-empty, webhooks may point only at these hosts (<c>STRATA_WEBHOOK_ALLOWED_HOSTS</c>).</summary>
    public IList<string> AllowedHosts { get; } = new List<string>();

    /// <summary>Networks webhooks may never reach (<c>STRATA_WEBHOOK_DENIED_NETWORKS</c>); default link-local and metadata addresses.</summary>
    public IList<IPNetwork> DeniedNetworks { get; } = new List<IPNetwork>(WebhookAddressPolicy.DefaultDeniedNetworks);

    public WebhookAddressPolicy Policy() => new(AllowedHosts.ToList(), DeniedNetworks.ToList(), WebhookAddressPolicy.DefaultDeniedHosts);

    /// <summary>The delay before attempt <paramref name="attempt"/> + 1, given <paramref name="attempt"/> failed ones.</summary>
    public TimeSpan RetryDelay(int attempt, double jitter)
    {
        var exponential = RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempt - 1));
        var capped = Math.Min(exponential, RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (1 + (0.5 * jitter)));
    }
}
