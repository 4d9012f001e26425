using System.CommandLine;
using Strata.Server.Hosting;
using Strata.Server.Security;

namespace Strata.Cli.Commands;

/// <summary>
/// The network flags that <c>strata server</c> and <c>strata models serve</c> both take: rate limit, body size limits,
/// CORS, X-Frame-Options, TLS and trusted proxies. Their <c>STRATA_*</c> variables are <see cref="SecurityOptions.EnvironmentVariables"/>;
/// a flag wins over its variable.
/// </summary>
internal sealed class NetworkFlags
{
    private readonly Option<string?> _rateLimit = new("--rate-limit")
    {
        Description = "Requests per caller (signed-in user or token, else client address) such as 100/s or 6000/m; over it, 429 REQUEST_LIMIT_EXCEEDED (default off; env STRATA_RATE_LIMIT).",
    };

    private readonly Option<string?> _maxBody = new("--max-request-body-size")
    {
        Description = "Largest request body of the JSON APIs, e.g. 16MB (the default; env STRATA_MAX_REQUEST_BODY_SIZE). Artifact uploads stream and have no limit.",
    };

    private readonly Option<string?> _maxDataBody = new("--max-data-body-size")
    {
        Description = "Largest body of model invocations, OTLP span exports and reference data uploads, e.g. 256MB (the default; env STRATA_MAX_DATA_BODY_SIZE).",
    };

    private readonly Option<string?> _corsOrigins = new("--cors-allowed-origins")
    {
        Description = "Comma-separated origins (https://app.example.com) whose pages may call the API, or * (default none; env STRATA_CORS_ALLOWED_ORIGINS).",
    };

    private readonly Option<string?> _frameOptions = new("--x-frame-options")
    {
        Description = "X-Frame-Options of every answer: SAMEORIGIN (default), DENY or NONE (env STRATA_X_FRAME_OPTIONS).",
    };

    private readonly Option<string?> _tlsCert = new("--tls-cert") { Description = "PEM certificate (chain) to serve HTTPS; with --tls-key (env STRATA_TLS_CERT)." };
    private readonly Option<string?> _tlsKey = new("--tls-key") { Description = "PEM private key of --tls-cert (env STRATA_TLS_KEY)." };

    private readonly Option<string?> _forwardedAllowIps = new("--forwarded-allow-ips")
    {
        Description = "Comma-separated proxy addresses or networks (CIDR), or *, whose X-Forwarded-For/-Proto/-Host are trusted (default none; env STRATA_FORWARDED_ALLOW_IPS).",
    };

    public IEnumerable<Option> All => [_rateLimit, _maxBody, _maxDataBody, _corsOrigins, _frameOptions, _tlsCert, _tlsKey, _forwardedAllowIps];

    /// <summary>
    /// Applies the flags given on the command line over <paramref name="security"/> (which already holds the variables).
    /// Throws <see cref="StrataConfigurationException"/> naming a bad flag.
    /// </summary>
    public SecurityOptions Apply(SecurityOptions security, ParseResult parse)
    {
        if (parse.GetValue(_rateLimit) is { } limit)
        {
            try
            {
                security.RateLimit = RateLimitSetting.Parse(limit, "--rate-limit");
            }
            catch (ArgumentException e)
            {
                throw new StrataConfigurationException(e.Message, e);
            }
        }

        if (parse.GetValue(_maxBody) is { } size)
        {
            security.MaxRequestBodyBytes = StrataServerOptions.ParseSize(size, "--max-request-body-size");
        }

        if (parse.GetValue(_maxDataBody) is { } dataSize)
        {
            security.MaxLargeRequestBodyBytes = StrataServerOptions.ParseSize(dataSize, "--max-data-body-size");
        }

        if (parse.GetValue(_corsOrigins) is { } origins)
        {
            SecurityOptions.Replace(security.CorsAllowedOrigins, origins);
        }

        security.XFrameOptions = parse.GetValue(_frameOptions) ?? security.XFrameOptions;
        security.TlsCertPath = parse.GetValue(_tlsCert) ?? security.TlsCertPath;
        security.TlsKeyPath = parse.GetValue(_tlsKey) ?? security.TlsKeyPath;
        if (parse.GetValue(_forwardedAllowIps) is { } proxies)
        {
            SecurityOptions.Replace(security.ForwardedAllowIps, proxies);
        }

        return security;
    }
}
