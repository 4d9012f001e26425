using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Strata.Storage.Tests.Postgres;

/// <summary>
/// A throwaway PostgreSQL cluster for one test run: initdb into a temp dir, start it on a free
/// port on 127.0.0.1 (socket in the same dir), stop it and delete the dir at the end. Each test
/// class asks for its own database (<see cref="CreateDatabaseAsync"/>), so classes never share
/// state. When the run is root, the server runs as the <c>postgres</c> OS user, as initdb refuses root.
/// Durability is switched off (fsync, synchronous_commit): the data lives only as long as the run.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    private const string OsUser = "postgres";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);

    private string? _dir;
    private string? _binDir;

    public int Port { get; private set; }

    /// <summary>Connection string to the cluster's <c>postgres</c> database as the superuser.</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        Pooling = true,
        IncludeErrorDetail = true,
    }.ConnectionString;

    public async Task InitializeAsync()
    {
        _binDir = FindBinDir();
        _dir = Path.Combine(Path.GetTempPath(), "strata-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_dir);
        var asRoot = IsRoot();
        if (asRoot)
        {
            await RunAsync("chown", [$"{OsUser}:{OsUser}", _dir]).ConfigureAwait(false);
        }

        var data = Path.Combine(_dir, "data");
        await RunPgAsync(asRoot, "initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]).ConfigureAwait(false);

        // A free port can be taken between probing and binding: try a few.
        Exception? last = null;
        for (var attempt = 0; attempt < 4; attempt++)
        {
            Port = FreePort();
            var options = string.Join(' ',
                $"-p {Port.ToString(CultureInfo.InvariantCulture)}",
                $"-k {_dir}",
                "-c listen_addresses=127.0.0.1",
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                "-c max_connections=300 -c deadlock_timeout=100ms");
            try
            {
                await RunPgAsync(asRoot, "pg_ctl", ["-D", data, "-l", Path.Combine(_dir, "server.log"), "-o", options, "-w", "-t", "60", "start"]).ConfigureAwait(false);
                return;
            }
            catch (InvalidOperationException ex)
            {
                last = ex;
            }
        }

        throw new InvalidOperationException($"PostgreSQL did not start. Log:\n{ReadLog()}", last);
    }

    /// <summary>Creates an empty database with a random name and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "strata_" + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync().ConfigureAwait(false);

        // Identifiers cannot be parameters; the name is generated here, never taken from input.
        // A natural-language collation (ICU en-US, where 'a' < 'B') like most production databases
        // have, so SQL that silently relies on byte order shows up here rather than in production.
        await using var cmd = new NpgsqlCommand(
            $"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'", connection);
        await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
        return ConnectionString(name);
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_dir is null)
        {
            return;
        }

        try
        {
            if (File.Exists(Path.Combine(_dir, "data", "postmaster.pid")))
            {
                await RunPgAsync(IsRoot(), "pg_ctl", ["-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop"]).ConfigureAwait(false);
            }
        }
        finally
        {
            Directory.Delete(_dir, recursive: true);
            _dir = null;
        }
    }

    private string ReadLog()
    {
        var log = Path.Combine(_dir!, "server.log");
        return File.Exists(log) ? File.ReadAllText(log) : "(no server log)";
    }

    private Task RunPgAsync(bool asRoot, string tool, IReadOnlyList<string> args)
    {
        var exe = Path.Combine(_binDir!, tool);
        if (!asRoot)
        {
            return RunAsync(exe, args);
        }

        // su takes one command line; every piece is a path or option built here, quoted for sh.
        var command = string.Join(' ', new[] { exe }.Concat(args).Select(ShellQuote));
        return RunAsync("su", [OsUser, "-s", "/bin/sh", "-c", command]);
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} timed out.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}:\n{await stdout.ConfigureAwait(false)}\n{await stderr.ConfigureAwait(false)}");
        }
    }

    private static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static bool IsRoot() => Environment.UserName == "root";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The newest installed server (Debian lays them out as /usr/lib/postgresql/N/bin), or STRATA_PG_BIN.</summary>
    private static string FindBinDir()
    {
        var fromEnv = Environment.GetEnvironmentVariable("STRATA_PG_BIN");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return fromEnv;
        }

        const string root = "/usr/lib/postgresql";
        var newest = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Where(d => File.Exists(Path.Combine(d, "bin", "initdb")))
                .Select(d => (Dir: d, Version: double.TryParse(Path.GetFileName(d), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0))
                .OrderByDescending(x => x.Version)
                .Select(x => Path.Combine(x.Dir, "bin"))
                .FirstOrDefault()
            : null;
        return newest ?? throw new InvalidOperationException(
            "No PostgreSQL server found under /usr/lib/postgresql (apt-get install postgresql, or set STRATA_PG_BIN).");
    }
}

/// <summary>Every PostgreSQL test class joins this collection and shares one cluster per run.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresCluster>
{
    public const string Name = "PostgreSQL";
}
