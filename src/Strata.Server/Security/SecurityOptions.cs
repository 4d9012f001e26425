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
