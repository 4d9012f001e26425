namespace Strata.Server.Security;

/// <summary>
/// Network-facing protections of <c>strata server</c>: request rate and body size limits, cross-origin rules,
/// response headers, TLS and forwarded headers. Defaults suit a laptop on 127.0.0.1; see the README's
/// "Running on a network" section.
/// </summary>
public sealed class SecurityOptions
{
    public const long DefaultMaxRequestBodyBytes = 16L * 1024 * 1024;
    public const long DefaultMaxLargeRequestBodyBytes = 256L * 1024 * 1024;

    /// <summary>Requests per caller (the signed-in user, else the client address); null turns rate limiting off.</summary>
    public RateLimitSetting? RateLimit { get; set; }

    /// <summary>
    /// The body size limit of the tracking, registry and other JSON APIs (<c>--max-request-body-size</c>). Artifact
    /// uploads are streamed and have none; model invocations and OTLP span exports take
    /// <see cref="MaxLargeRequestBodyBytes"/>.
    /// </summary>
    public long MaxRequestBodyBytes { get; set; } = DefaultMaxRequestBodyBytes;

    /// <summary>The body size limit of the endpoints that carry data (model invocations, OTLP span exports).</summary>
    public long MaxLargeRequestBodyBytes { get; set; } = DefaultMaxLargeRequestBodyBytes;

    /// <summary>
    /// Origins (scheme://host[:port]) a browser may call the API from (<c>--cors-allowed-origins</c>), or <c>*</c>.
    /// Empty: no cross-origin access, and state-changing API calls from another origin are refused (pages served by
    /// localhost are always allowed, as MLflow does).
    /// </summary>
    public IList<string> CorsAllowedOrigins { get; } = new List<string>();

    /// <summary>The X-Frame-Options header of every answer (<c>SAMEORIGIN</c> as MLflow; <c>NONE</c> leaves it out).</summary>
    public string XFrameOptions { get; set; } = "SAMEORIGIN";

    /// <summary>A PEM certificate (chain) for HTTPS (<c>--tls-cert</c>); with <see cref="TlsKeyPath"/>.</summary>
    public string? TlsCertPath { get; set; }

    /// <summary>The PEM private key of <see cref="TlsCertPath"/> (<c>--tls-key</c>).</summary>
    public string? TlsKeyPath { get; set; }

    /// <summary>
    /// Proxies whose X-Forwarded-For/-Proto/-Host are trusted (<c>--forwarded-allow-ips</c>, as uvicorn and gunicorn
    /// name it): addresses or networks (CIDR), or <c>*</c> for any. Empty: the headers are ignored.
    /// </summary>
    public IList<string> ForwardedAllowIps { get; } = new List<string>();

    public bool UseTls => TlsCertPath is not null;

    /// <summary>
    /// The environment variables of these settings, named after their flags (<c>STRATA_RATE_LIMIT</c>, ...): one table for
    /// <c>strata server</c> and <c>strata models serve</c>.
    /// </summary>
    public static IReadOnlyDictionary<string, Action<SecurityOptions, string>> EnvironmentVariables { get; } =
        new Dictionary<string, Action<SecurityOptions, string>>(StringComparer.Ordinal)
        {
            ["STRATA_RATE_LIMIT"] = (o, v) => o.RateLimit = Checked(() => RateLimitSetting.Parse(v, "STRATA_RATE_LIMIT")),
            ["STRATA_MAX_REQUEST_BODY_SIZE"] = (o, v) => o.MaxRequestBodyBytes = Hosting.StrataServerOptions.ParseSize(v, "STRATA_MAX_REQUEST_BODY_SIZE"),
            ["STRATA_MAX_DATA_BODY_SIZE"] = (o, v) => o.MaxLargeRequestBodyBytes = Hosting.StrataServerOptions.ParseSize(v, "STRATA_MAX_DATA_BODY_SIZE"),
            ["STRATA_CORS_ALLOWED_ORIGINS"] = (o, v) => Replace(o.CorsAllowedOrigins, v),
            ["STRATA_X_FRAME_OPTIONS"] = (o, v) => o.XFrameOptions = v,
            ["STRATA_TLS_CERT"] = (o, v) => o.TlsCertPath = v,
            ["STRATA_TLS_KEY"] = (o, v) => o.TlsKeyPath = v,
            ["STRATA_FORWARDED_ALLOW_IPS"] = (o, v) => Replace(o.ForwardedAllowIps, v),
        };

    /// <summary>Applies every set, non-empty variable of <see cref="EnvironmentVariables"/>.</summary>
    public SecurityOptions ApplyEnvironment(Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        foreach (var (name, apply) in EnvironmentVariables)
        {
            if (getVariable(name) is { Length: > 0 } value)
            {
                apply(this, value);
            }
        }

        return this;
    }

    /// <summary>Replaces a list setting with a comma-separated value.</summary>
    public static void Replace(IList<string> list, string commaSeparated)
    {
        ArgumentNullException.ThrowIfNull(list);
        ArgumentNullException.ThrowIfNull(commaSeparated);
        list.Clear();
        foreach (var item in commaSeparated.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            list.Add(item);
        }
    }

    private static T Checked<T>(Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (ArgumentException e)
        {
            throw new Hosting.StrataConfigurationException(e.Message, e);
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> with a one-line message for the first bad setting.</summary>
    public void Validate()
    {
        if ((TlsCertPath is null) != (TlsKeyPath is null))
        {
            throw new ArgumentException("--tls-cert and --tls-key must be given together.");
        }

        if (TlsCertPath is not null && !File.Exists(TlsCertPath))
        {
            throw new ArgumentException($"--tls-cert: no file '{TlsCertPath}'.");
        }

        if (TlsKeyPath is not null && !File.Exists(TlsKeyPath))
        {
            throw new ArgumentException($"--tls-key: no file '{TlsKeyPath}'.");
        }

        if (MaxRequestBodyBytes <= 0 || MaxLargeRequestBodyBytes <= 0)
        {
            throw new ArgumentException("--max-request-body-size and --max-data-body-size must be positive sizes such as 16MB.");
        }

        foreach (var origin in CorsAllowedOrigins)
        {
            if (origin != "*" && !(Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/"))
            {
                throw new ArgumentException($"--cors-allowed-origins: '{origin}' is not an origin such as https://app.example.com or *.");
            }
        }

        foreach (var proxy in ForwardedAllowIps)
        {
            if (proxy != "*" && !System.Net.IPNetwork.TryParse(proxy, out _) && !System.Net.IPAddress.TryParse(proxy, out _))
            {
                throw new ArgumentException($"--forwarded-allow-ips: '{proxy}' is not an address, a network (CIDR) or *.");
            }
        }

        if (!XFrameOptions.Equals("NONE", StringComparison.OrdinalIgnoreCase)
            && !XFrameOptions.Equals("DENY", StringComparison.OrdinalIgnoreCase)
            && !XFrameOptions.Equals("SAMEORIGIN", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"--x-frame-options must be SAMEORIGIN, DENY or NONE, got '{XFrameOptions}'.");
        }
    }
}
