namespace Strata.Client;

/// <summary>What to do when a run's metric buffer is full (the server is slower than the training loop, or down).</summary>
public enum MetricBufferFullMode
{
    /// <summary><c>LogMetric</c> blocks the calling thread until the background sender frees space;
    /// <c>LogMetricAsync</c> awaits without blocking a thread. Nothing is dropped, memory stays bounded.</summary>
    Wait,

    /// <summary>Both calls throw <see cref="MetricBufferFullException"/> at once, so a loop that must never
    /// block can decide itself (skip the point, slow down). Nothing is dropped silently.</summary>
    Throw,
}

/// <summary>Configuration of <see cref="StrataClient"/>. <see cref="FromEnvironment"/> reads the MLflow variables.</summary>
public sealed class StrataClientOptions
{
    /// <summary>Base address of the server, e.g. <c>http://127.0.0.1:5000</c> (a path prefix is kept).</summary>
    public Uri? TrackingUri { get; set; }

    /// <summary>Sent as <c>Authorization: Bearer</c>. Takes precedence over <see cref="Username"/>.</summary>
    public string? Token { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>Recorded as the run's user and the <c>mlflow.user</c> tag. Defaults to the OS user.</summary>
    public string? UserId { get; set; }

    /// <summary>Per-attempt HTTP timeout. Artifact transfers stream, so this bounds idle time to first byte, not size.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Retries after the first attempt, for requests that are safe to repeat (see <see cref="Http.StrataRetryPolicy"/>).</summary>
    public int MaxRetryAttempts { get; set; } = 4;

    /// <summary>First retry delay; doubles each attempt, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Upper bound of one retry delay.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Points a run's buffer holds before <see cref="MetricBufferFullMode"/> applies. ~100 bytes each.</summary>
    public int MetricBufferCapacity { get; set; } = 100_000;

    /// <summary>Metrics per log-batch call; the server's limit is 1000.</summary>
    public int MetricBatchSize { get; set; } = 1000;

    /// <summary>Concurrent log-batch calls per run. Two keep the server busy while the next batch is being
    /// serialized and let its group commit merge them; more rarely helps a single run.</summary>
    public int MetricSenders { get; set; } = 2;

    public MetricBufferFullMode MetricBufferFullMode { get; set; } = MetricBufferFullMode.Wait;

    /// <summary>Upper bound of the delay between re-sends of a batch while the server is unreachable.</summary>
    public TimeSpan MetricRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long ending a run waits for buffered metrics to reach the server before it gives up and
    /// throws <see cref="MetricFlushException"/> naming how many points were not delivered.</summary>
    public TimeSpan MetricFlushTimeout { get; set; } = TimeSpan.FromMinutes(2);

    internal Uri RequireTrackingUri() =>
        TrackingUri ?? throw new InvalidOperationException(
            "No tracking URI: set StrataClientOptions.TrackingUri or the STRATA_TRACKING_URI / MLFLOW_TRACKING_URI variable.");

    /// <summary>Options filled from <c>STRATA_TRACKING_URI</c> (else <c>MLFLOW_TRACKING_URI</c>),
    /// <c>MLFLOW_TRACKING_TOKEN</c>, <c>MLFLOW_TRACKING_USERNAME</c>/<c>MLFLOW_TRACKING_PASSWORD</c>.</summary>
    public static StrataClientOptions FromEnvironment(Func<string, string?>? getVariable = null) =>
        new StrataClientOptions().ApplyEnvironment(getVariable);

    /// <summary>Fills unset fields from the environment; values already set win.</summary>
    public StrataClientOptions ApplyEnvironment(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

        var uri = NonEmpty(getVariable("STRATA_TRACKING_URI")) ?? NonEmpty(getVariable("MLFLOW_TRACKING_URI"));
        if (TrackingUri is null && uri is not null)
        {
            if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps))
            {
                throw new InvalidOperationException($"Tracking URI '{uri}' is not an absolute http(s) URI.");
            }
            TrackingUri = parsed;
        }
        Token ??= NonEmpty(getVariable("MLFLOW_TRACKING_TOKEN"));
        Username ??= NonEmpty(getVariable("MLFLOW_TRACKING_USERNAME"));
        Password ??= getVariable("MLFLOW_TRACKING_PASSWORD");
        return this;
    }
}
