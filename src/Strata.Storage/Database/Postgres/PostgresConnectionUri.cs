using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Strata.Storage.Database.Postgres;

/// <summary>
/// Turns a backend store URI into an Npgsql connection string. Accepts MLflow's forms
/// (<c>postgresql://user:pass@host:5432/db?sslmode=require</c>, with or without a SQLAlchemy
/// driver suffix such as <c>postgresql+psycopg2://</c>), <c>postgres://</c>, several hosts
/// (<c>h1:5432,h2:5432</c>), a socket directory in <c>?host=</c>, and a raw Npgsql connection
/// string (<c>Host=...;Username=...</c>). Percent-encoded parts are decoded.
/// Error messages never include the password.
/// </summary>
public static partial class PostgresConnectionUri
{
    private const int DefaultPort = 5432;

    /// <summary>Does this look like a PostgreSQL URI (any driver suffix)?</summary>
    public static bool IsPostgresUri(string value) => value is not null && SchemeRegex().IsMatch(value.Trim());

    /// <summary>A PostgreSQL URI or a raw Npgsql connection string (anything with '=' and no scheme).</summary>
    public static bool IsPostgres(string value) =>
        IsPostgresUri(value) || (value is not null && !value.Contains("://", StringComparison.Ordinal) && value.Contains('=', StringComparison.Ordinal));

    /// <summary>Parses either form into a validated Npgsql connection string.</summary>
    /// <exception cref="FormatException">The value is not a usable PostgreSQL URI or connection string.</exception>
    public static string ToConnectionString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var trimmed = value.Trim();
        var builder = IsPostgresUri(trimmed) ? FromUri(trimmed) : FromConnectionString(trimmed);
        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new FormatException("The PostgreSQL connection names no host.");
        }

        return builder.ConnectionString;
    }

    /// <summary>Host, port, database and user of a connection string, for logs (no password).</summary>
    public static string Describe(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"postgresql://{b.Username}@{b.Host}:{b.Port}/{b.Database}";
    }

    private static NpgsqlConnectionStringBuilder FromConnectionString(string value)
    {
        if (!value.Contains('=', StringComparison.Ordinal) || value.Contains("://", StringComparison.Ordinal))
        {
            throw new FormatException("Not a PostgreSQL URI (postgresql://user:password@host:port/database) or an Npgsql connection string (Host=...;Database=...).");
        }

        try
        {
            return new NpgsqlConnectionStringBuilder(value);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"Invalid Npgsql connection string: {ex.Message}", ex);
        }
    }

    private static NpgsqlConnectionStringBuilder FromUri(string uri)
    {
        var rest = uri[(uri.IndexOf("://", StringComparison.Ordinal) + 3)..];
        string? query = null;
        var q = rest.IndexOf('?', StringComparison.Ordinal);
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash >= 0 ? rest[..slash] : rest;
        var path = slash >= 0 ? rest[(slash + 1)..] : string.Empty;

        var builder = new NpgsqlConnectionStringBuilder();

        // The password may itself hold an unencoded '@'; the host part cannot.
        var at = authority.LastIndexOf('@');
        var hostPart = authority;
        if (at >= 0)
        {
            var userInfo = authority[..at];
            hostPart = authority[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            var user = colon >= 0 ? userInfo[..colon] : userInfo;
            if (user.Length > 0)
            {
                builder.Username = Decode(user);
            }

            if (colon >= 0)
            {
                builder.Password = Decode(userInfo[(colon + 1)..]);
            }
        }

        SetHosts(builder, hostPart);

        if (path.Length > 0)
        {
            builder.Database = Decode(path.TrimEnd('/'));
        }

        if (query is not null)
        {
            ApplyQuery(builder, query);
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            builder.Host = "localhost";
        }

        return builder;
    }

    private static void SetHosts(NpgsqlConnectionStringBuilder builder, string hostPart)
    {
        if (hostPart.Length == 0)
        {
            return;
        }

        var hosts = hostPart.Split(',');
        var parsed = hosts.Select(ParseHost).ToList();
        if (parsed.Count == 1)
        {
            builder.Host = parsed[0].Host;
            builder.Port = parsed[0].Port ?? DefaultPort;
            return;
        }

        // Npgsql takes several hosts as one comma-separated Host value, each with its own port.
        builder.Host = string.Join(',', parsed.Select(h => $"{(h.Host.Contains(':', StringComparison.Ordinal) ? $"[{h.Host}]" : h.Host)}:{h.Port ?? DefaultPort}"));
    }

    private static (string Host, int? Port) ParseHost(string value)
    {
        string host;
        string? port = null;
        if (value.StartsWith('['))
        {
            var close = value.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"Invalid IPv6 host '{value}' in the PostgreSQL URI.");
            }

            host = value[1..close];
            var after = value[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                {
                    throw new FormatException($"Invalid host '{value}' in the PostgreSQL URI.");
                }

                port = after[1..];
            }
        }
        else
        {
            var colon = value.LastIndexOf(':');
            host = colon >= 0 ? value[..colon] : value;
            port = colon >= 0 ? value[(colon + 1)..] : null;
        }

        if (host.Length == 0)
        {
            throw new FormatException("The PostgreSQL URI has an empty host.");
        }

        return (Decode(host), port is null || port.Length == 0 ? null : ParsePort(port));
    }

    private static int ParsePort(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw new FormatException($"Invalid port '{value}' in the PostgreSQL URI.");

    private static void ApplyQuery(NpgsqlConnectionStringBuilder builder, string query)
    {
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Decode(eq >= 0 ? pair[..eq] : pair);
            var value = eq >= 0 ? Decode(pair[(eq + 1)..]) : string.Empty;
            switch (key.ToLowerInvariant())
            {
                case "sslmode":
                    builder.SslMode = ParseSslMode(value);
                    break;
                case "sslrootcert":
                    builder.RootCertificate = value;
                    break;
                case "sslcert":
                    builder.SslCertificate = value;
                    break;
                case "sslkey":
                    builder.SslKey = value;
                    break;
                case "sslpassword":
                    builder.SslPassword = value;
                    break;
                case "connect_timeout":
                    builder.Timeout = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t)
                        ? t
                        : throw new FormatException($"Invalid connect_timeout '{value}' in the PostgreSQL URI.");
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                case "options":
                    builder.Options = value;
                    break;
                case "target_session_attrs":
                    builder[nameof(NpgsqlConnectionStringBuilder.TargetSessionAttributes)] = value;
                    break;
                case "host":
                    builder.Host = value;
                    break;
                case "port":
                    builder.Port = ParsePort(value);
                    break;
                case "user":
                    builder.Username = value;
                    break;
                case "password":
                    builder.Password = value;
                    break;
                case "dbname":
                    builder.Database = value;
                    break;
                case "max_pool_size":
                    // Strata's own: libpq has no pool, but every replica's pool should be sizable from the URI.
                    builder.MaxPoolSize = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size > 0
                        ? size
                        : throw new FormatException($"Invalid max_pool_size '{value}' in the PostgreSQL URI.");
                    break;
                default:
                    // Anything else must be an Npgsql keyword (e.g. "Include Error Detail=true").
                    try
                    {
                        builder[key] = value;
                    }
                    catch (ArgumentException ex)
                    {
                        throw new FormatException($"Unknown option '{key}' in the PostgreSQL URI.", ex);
                    }

                    break;
            }
        }
    }

    private static SslMode ParseSslMode(string value) => value.ToLowerInvariant() switch
    {
        "disable" => SslMode.Disable,
        "allow" => SslMode.Allow,
        "prefer" => SslMode.Prefer,
        "require" => SslMode.Require,
        "verify-ca" => SslMode.VerifyCA,
        "verify-full" => SslMode.VerifyFull,
        _ => throw new FormatException($"Invalid sslmode '{value}' in the PostgreSQL URI (disable, allow, prefer, require, verify-ca or verify-full)."),
    };

    // Uri.UnescapeDataString leaves malformed escapes as they are, which is what libpq does too.
    private static string Decode(string value) => Uri.UnescapeDataString(value);

    [GeneratedRegex(@"^postgres(ql)?(\+[A-Za-z0-9_]+)?://", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SchemeRegex();
}
