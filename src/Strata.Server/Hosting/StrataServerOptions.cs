using System.Globalization;
using Strata.Serving.Hosting;

namespace Strata.Server.Hosting;

/// <summary>
/// Server settings, mirroring <c>mlflow server</c>'s flags. Bound from <c>STRATA_*</c> environment
/// variables (<see cref="ApplyEnvironment"/>) and then command-line flags; checked by <see cref="Validate"/>.
/// </summary>
public sealed class StrataServerOptions
{
    public const string DefaultBackendStoreUri = "sqlite:///./strata-data/strata.db";
    public const string ProxiedArtifactRoot = "mlflow-artifacts:/";

    public string Host { get; set; } = "127.0.0.1";

    /// <summary>0 picks a free port (tests).</summary>
    public int Port { get; set; } = 5000;

    public string BackendStoreUri { get; set; } = DefaultBackendStoreUri;

    public string DefaultArtifactRoot { get; set; } = ProxiedArtifactRoot;

    public string ArtifactsDestination { get; set; } = "./strata-data/artifacts";

    public bool ServeArtifacts { get; set; } = true;

    public bool ArtifactsOnly { get; set; }

    /// <summary>
    /// fsync each upload to a local artifacts destination (file, then its directory) before answering
    /// (<c>--artifacts-fsync</c>): an acknowledged upload then survives a power loss. Off by default, like MLflow and like
    /// the SQLite store's commits (synchronous=NORMAL): uploads stay atomic (temporary file renamed into place), so a
    /// process crash never leaves a partial file, but a power loss can lose the last seconds of uploads.
    /// </summary>
    public bool ArtifactsFsync { get; set; }

    /// <summary>Models to serve in-process, each <c>name=uri</c> (<c>--serve-model</c>, repeatable).</summary>
    public IList<string> ServeModels { get; } = new List<string>();

    /// <summary>
    /// How the models of <see cref="ServeModels"/> are served: request timeout, batching, prediction log sampling and
    /// flushing, poll interval. The models, their cache and model resolution are filled in by the server.
    /// </summary>
    public ServingOptions Serving { get; set; } = new();

    /// <summary>How webhook deliveries are made: polling, timeouts, retries, and where webhooks may point.</summary>
    public Webhooks.WebhooksOptions Webhooks { get; set; } = new();

    /// <summary>How this process runs scheduled jobs.</summary>
    public Jobs.JobsOptions Jobs { get; set; } = new();

    /// <summary>How much prediction log to keep (<c>--log-retention</c>: an age, a size or both); null keeps everything.</summary>
    public Strata.Storage.Serving.LogRetention? LogRetention { get; set; }

    /// <summary>How often the server applies <see cref="LogRetention"/>.</summary>
    public TimeSpan LogRetentionInterval { get; set; } = TimeSpan.FromMinutes(10);
    /// <summary>Scheduled drift and profiling of newly registered versions (<c>--drift-interval</c>, <c>--profile-on-register</c>).</summary>
    public Monitoring.MonitoringOptions Monitoring { get; set; } = new();

    /// <summary>Rate and body size limits, cross-origin rules, response headers, TLS and forwarded headers.</summary>
    public Security.SecurityOptions Security { get; set; } = new();
    /// <summary>How promotion policies are evaluated: polling, canary checks, leases.</summary>
    public Policies.PoliciesOptions Policies { get; set; } = new();
    /// <summary>Users, tokens and permissions (<c>--auth</c>, <c>--auth-default-permission</c>, the admin from the environment).</summary>
    public Auth.AuthOptions Auth { get; set; } = new();

    /// <summary>Environment variable → setter; the names are the flags' names in upper snake case.</summary>
    public static IReadOnlyDictionary<string, Action<StrataServerOptions, string>> EnvironmentVariables { get; } =
        new Dictionary<string, Action<StrataServerOptions, string>>(StringComparer.Ordinal)
        {
            ["STRATA_HOST"] = (o, v) => o.Host = v,
            ["STRATA_PORT"] = (o, v) => o.Port = ParsePort(v, "STRATA_PORT"),
            ["STRATA_BACKEND_STORE_URI"] = (o, v) => o.BackendStoreUri = v,
            ["STRATA_DEFAULT_ARTIFACT_ROOT"] = (o, v) => o.DefaultArtifactRoot = v,
            ["STRATA_ARTIFACTS_DESTINATION"] = (o, v) => o.ArtifactsDestination = v,
            ["STRATA_SERVE_ARTIFACTS"] = (o, v) => o.ServeArtifacts = ParseBool(v, "STRATA_SERVE_ARTIFACTS"),
            ["STRATA_ARTIFACTS_ONLY"] = (o, v) => o.ArtifactsOnly = ParseBool(v, "STRATA_ARTIFACTS_ONLY"),
            ["STRATA_ARTIFACTS_FSYNC"] = (o, v) => o.ArtifactsFsync = ParseBool(v, "STRATA_ARTIFACTS_FSYNC"),
            ["STRATA_JOBS_ENABLED"] = (o, v) => o.Jobs.Enabled = ParseBool(v, "STRATA_JOBS_ENABLED"),
            ["STRATA_JOBS_LEASE"] = (o, v) => o.Jobs.Lease = ParseDuration(v, "STRATA_JOBS_LEASE"),
            ["STRATA_JOBS_KUBERNETES_NAMESPACE"] = (o, v) => o.Jobs.Kubernetes.Namespace = v,
            ["STRATA_JOBS_KUBERNETES_IMAGE"] = (o, v) => o.Jobs.Kubernetes.Image = v,
            ["STRATA_JOBS_KUBERNETES_SERVICE_ACCOUNT"] = (o, v) => o.Jobs.Kubernetes.ServiceAccount = v,
            ["STRATA_JOBS_KUBERNETES_KUBECONFIG"] = (o, v) => o.Jobs.Kubernetes.Kubeconfig = v,
            ["STRATA_JOBS_KUBERNETES_TEMPLATE"] = (o, v) => o.Jobs.Kubernetes.Template = v,
            ["STRATA_JOBS_KUBERNETES_TRACKING_URI"] = (o, v) => o.Jobs.Kubernetes.TrackingUri = v,
            ["STRATA_WEBHOOK_ALLOWED_HOSTS"] = (o, v) => Replace(o.Webhooks.AllowedHosts, List(v)),
            ["STRATA_WEBHOOK_DENIED_NETWORKS"] = (o, v) => Replace(o.Webhooks.DeniedNetworks, List(v).Select(n => ParseNetwork(n, "STRATA_WEBHOOK_DENIED_NETWORKS"))),
            ["STRATA_LOG_RETENTION"] = (o, v) => o.LogRetention = ParseRetention(v, "STRATA_LOG_RETENTION"),
            ["STRATA_DRIFT_INTERVAL"] = (o, v) => o.Monitoring.DriftInterval = ParseDuration(v, "STRATA_DRIFT_INTERVAL"),
            ["STRATA_ALERT_INTERVAL"] = (o, v) => o.Monitoring.AlertInterval = ParseDuration(v, "STRATA_ALERT_INTERVAL"),
            ["STRATA_PROFILE_ON_REGISTER"] = (o, v) => o.Monitoring.ProfileOnRegister = ParseBool(v, "STRATA_PROFILE_ON_REGISTER"),
            ["STRATA_AUTH"] = (o, v) => o.Auth.Enabled = ParseBool(v, "STRATA_AUTH"),
            ["STRATA_AUTH_DEFAULT_PERMISSION"] = (o, v) => o.Auth.DefaultPermission = ParsePermission(v, "STRATA_AUTH_DEFAULT_PERMISSION"),
            ["STRATA_ADMIN_USERNAME"] = (o, v) => o.Auth.AdminUsername = v,
            ["STRATA_ADMIN_PASSWORD"] = (o, v) => o.Auth.AdminPassword = v,
            ["STRATA_OIDC_AUTHORITY"] = (o, v) => o.Auth.Oidc.Authority = v,
            ["STRATA_OIDC_CLIENT_ID"] = (o, v) => o.Auth.Oidc.ClientId = v,
            ["STRATA_OIDC_CLIENT_SECRET"] = (o, v) => o.Auth.Oidc.ClientSecret = v,
            ["STRATA_OIDC_USERNAME_CLAIM"] = (o, v) => o.Auth.Oidc.UsernameClaim = v,
            ["STRATA_OIDC_ADMIN_USERS"] = (o, v) => Replace(o.Auth.Oidc.AdminUsers, List(v)),
            ["STRATA_OIDC_DISPLAY_NAME"] = (o, v) => o.Auth.Oidc.DisplayName = v,
            ["STRATA_DATA_PROTECTION_KEYS"] = (o, v) => o.Auth.DataProtectionKeysDirectory = v,
        };

    /// <summary>Applies every set, non-empty <c>STRATA_*</c> variable that <paramref name="getVariable"/> returns.</summary>
    public StrataServerOptions ApplyEnvironment(Func<string, string?> getVariable)
    {
        // The network settings' variables are SecurityOptions' own: strata models serve reads the same ones.
        Security.ApplyEnvironment(getVariable);
        foreach (var (name, apply) in EnvironmentVariables)
        {
            if (getVariable(name) is { Length: > 0 } value)
            {
                apply(this, value);
            }
        }

        return this;
    }

    /// <summary>Throws <see cref="StrataConfigurationException"/> with a one-line message for the first bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new StrataConfigurationException("--host must not be empty.");
        }

        if (Port is < 0 or > 65535)
        {
            throw new StrataConfigurationException($"--port must be between 0 and 65535, got {Port}.");
        }

        if (string.IsNullOrWhiteSpace(BackendStoreUri))
        {
            throw new StrataConfigurationException("--backend-store-uri must not be empty.");
        }

        if (string.IsNullOrWhiteSpace(DefaultArtifactRoot))
        {
            throw new StrataConfigurationException("--default-artifact-root must not be empty.");
        }

        if (Jobs.Lease <= TimeSpan.Zero)
        {
            throw new StrataConfigurationException($"STRATA_JOBS_LEASE must be longer than 0, got {Jobs.Lease}.");
        }

        if (ArtifactsOnly && !ServeArtifacts)
        {
            throw new StrataConfigurationException("--artifacts-only requires artifact serving; do not combine it with --no-serve-artifacts.");
        }

        if (ServeArtifacts && string.IsNullOrWhiteSpace(ArtifactsDestination))
        {
            throw new StrataConfigurationException("--artifacts-destination must not be empty when artifacts are served.");
        }

        if (Auth.Oidc.Problem(Auth.Enabled) is { } oidcProblem)
        {
            throw new StrataConfigurationException(oidcProblem);
        }

        try
        {
            Monitoring.Validate();
            Security.Validate();
        }
        catch (ArgumentException e)
        {
            throw new StrataConfigurationException(e.Message);
        }
    }

    private static TimeSpan ParseDuration(string value, string name) =>
        Strata.Server.Monitoring.MonitoringOptions.TryParseDuration(value, out var duration)
            ? duration
            : throw new StrataConfigurationException($"{name} must be a duration such as 30s, 15m, 1h or 0, got '{value}'.");

    public static Strata.Core.Auth.Permission ParsePermission(string value, string name) =>
        value.ToUpperInvariant() switch
        {
            "READ" => Strata.Core.Auth.Permission.READ,
            "EDIT" => Strata.Core.Auth.Permission.EDIT,
            "MANAGE" => Strata.Core.Auth.Permission.MANAGE,
            "NO_PERMISSIONS" => Strata.Core.Auth.Permission.NO_PERMISSIONS,
            _ => throw new StrataConfigurationException($"{name} must be READ, EDIT, MANAGE or NO_PERMISSIONS, got '{value}'."),
        };

    private static int ParsePort(string value, string name) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? port
            : throw new StrataConfigurationException($"{name} must be a port number, got '{value}'.");

    public static Strata.Storage.Serving.LogRetention ParseRetention(string value, string name)
    {
        try
        {
            return Strata.Storage.Serving.LogRetention.Parse(value, name);
        }
        catch (ArgumentException e)
        {
            throw new StrataConfigurationException(e.Message, e);
        }
    }

    /// <summary>A size in bytes: a number with an optional KB, MB or GB suffix (powers of 1024).</summary>
    public static long ParseSize(string value, string name)
    {
        ArgumentNullException.ThrowIfNull(value);
        var text = value.Trim().ToUpperInvariant();
        long unit = 1;
        foreach (var (suffix, bytes) in new[] { ("GB", 1L << 30), ("MB", 1L << 20), ("KB", 1L << 10), ("B", 1L) })
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal))
            {
                text = text[..^suffix.Length].TrimEnd();
                unit = bytes;
                break;
            }
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0 && count <= long.MaxValue / unit
            ? count * unit
            : throw new StrataConfigurationException($"{name} must be a size such as 16MB, 512KB or 1GB, got '{value}'.");
    }

    private static bool ParseBool(string value, string name) =>
        value.ToLowerInvariant() switch
        {
            "1" or "true" or "yes" or "on" => true,
            "0" or "false" or "no" or "off" => false,
            _ => throw new StrataConfigurationException($"{name} must be true or false, got '{value}'."),
        };

    private static IEnumerable<string> List(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static System.Net.IPNetwork ParseNetwork(string value, string name) =>
        System.Net.IPNetwork.TryParse(value, out var network)
            ? network
            : throw new StrataConfigurationException($"{name} must be a comma-separated list of networks (CIDR, e.g. 169.254.0.0/16), got '{value}'.");

    private static void Replace<T>(IList<T> list, IEnumerable<T> items)
    {
        var values = items.ToList();
        list.Clear();
        foreach (var item in values)
        {
            list.Add(item);
        }
    }
}

/// <summary>A setting is invalid. The message is one line, fit for a CLI error.</summary>
public sealed class StrataConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
