using Strata.Serving.Batching;
using Strata.Serving.PredictionLog;
using Strata.Serving.Python;

namespace Strata.Serving.Hosting;

/// <summary>One model to serve: the route name and the URI it serves (<c>name=models:/weather@champion</c> on the command line).</summary>
public sealed record ServeModelSpec(string Name, string Uri)
{
    /// <summary>Parses <c>name=uri</c>, or a bare URI whose name is taken from it.</summary>
    public static ServeModelSpec Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (eq >= 0 && (colon < 0 || eq < colon))
        {
            var name = text[..eq].Trim();
            var uri = text[(eq + 1)..].Trim();
            if (name.Length == 0 || uri.Length == 0 || name.Contains('/', StringComparison.Ordinal))
            {
                throw new ArgumentException($"--serve-model expects name=uri with a name without '/', got '{text}'.");
            }

            return new ServeModelSpec(name, uri);
        }

        return new ServeModelSpec(ModelUri.Parse(text).DefaultRouteName, text);
    }
}

/// <summary>Settings of the serving layer, shared by <c>strata models serve</c> and <c>strata server --serve-model</c>.</summary>
public sealed record ServingOptions
{
    public IReadOnlyList<ServeModelSpec> Models { get; init; } = [];

    /// <summary>Where <c>runs:/</c> and <c>models:/</c> URIs are resolved; null for local folders only.</summary>
    public string? TrackingUri { get; init; }

    /// <summary>
    /// Resolve <c>runs:/</c> and <c>models:/</c> through this process's own REST API (the all-in-one <c>strata server</c>);
    /// <see cref="TrackingUri"/> is then ignored and models load in the background once the server listens.
    /// </summary>
    public bool TrackingIsSelf { get; init; }

    /// <summary>
    /// The <c>Authorization</c> header value sent to the tracking server when models are resolved through it (a server
    /// with <c>--auth</c> resolving through itself passes its internal credential; null sends none).
    /// </summary>
    public string? TrackingAuthorization { get; init; }

    /// <summary>Load models after start instead of before it (retrying until each loads).</summary>
    public bool LoadInBackground { get; init; }

    /// <summary>Where downloaded models are kept.</summary>
    public string CacheDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "strata-model-cache");

    /// <summary>How often an alias, stage or "latest" is re-resolved.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a swapped-out version may keep serving its in-flight requests before it is released anyway.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long one prediction request may take, body read included, before it is answered with <c>504</c>
    /// (MLflow's <c>MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT</c>, 60 s by default).
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = DefaultRequestTimeout;

    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The environment variable MLflow's scoring server reads its request timeout (in seconds) from.</summary>
    public const string RequestTimeoutVariable = "MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT";

    /// <summary>
    /// <see cref="RequestTimeoutVariable"/>'s value as a timeout; <paramref name="value"/> null or empty gives the default.
    /// </summary>
    public static TimeSpan ParseRequestTimeout(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return DefaultRequestTimeout;
        }

        return double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            && seconds > 0 && seconds <= int.MaxValue / 1000.0
            ? TimeSpan.FromSeconds(seconds)
            : throw new ArgumentException($"{RequestTimeoutVariable} must be a positive number of seconds, got '{value}'.");
    }

    public BatchingOptions Batching { get; init; } = new();

    /// <summary>How often deployments' revisions (and the aliases their routes name) are re-read.</summary>
    public TimeSpan DeploymentPollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often deployments' service metrics are written to the database.</summary>
    public TimeSpan MetricsFlushInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Copies waiting for a shadow version; beyond this they are dropped (and counted), never awaited.</summary>
    public int ShadowQueueCapacity { get; init; } = 1024;

    public PredictionLogOptions PredictionLog { get; init; } = new();

    /// <summary>How <c>python_function</c> models are run (interpreter, worker count).</summary>
    public PythonWorkerOptions Python { get; init; } = new();

    public void Validate()
    {
        if (Models.Count == 0)
        {
            throw new ArgumentException("Give at least one model to serve.");
        }

        ValidateModels();
        ValidateSettings();
    }

    private void ValidateModels()
    {
        var duplicate = Models.GroupBy(m => m.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"The model name '{duplicate.Key}' is served twice; give each --serve-model a different name.");
        }

        foreach (var model in Models)
        {
            if (ModelUri.Parse(model.Uri).NeedsTrackingServer && !TrackingIsSelf && string.IsNullOrWhiteSpace(TrackingUri))
            {
                throw new ArgumentException($"'{model.Uri}' needs a tracking server: pass --tracking-uri.");
            }
        }

    }

    /// <summary>Checks everything but the models (a process serving deployments only has none).</summary>
    public void ValidateSettings()
    {
        if (PollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("--poll-interval-seconds must be positive.");
        }

        if (DeploymentPollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("--deployment-poll-interval-ms must be positive.");
        }

        if (MetricsFlushInterval <= TimeSpan.Zero || ShadowQueueCapacity < 1)
        {
            throw new ArgumentException("The metrics flush interval and the shadow queue capacity must be positive.");
        }

        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentException("--timeout must be a positive number of seconds.");
        }

        Batching.Validate();
        PredictionLog.Validate();
        Python.Validate();
    }
}
