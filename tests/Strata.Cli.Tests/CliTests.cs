using System.Diagnostics;
using System.Net.Http;
using System.Text.RegularExpressions;

namespace Strata.Cli.Tests;

public sealed class CliTests
{
    [Fact]
    public async Task Version_prints_the_version()
    {
        var (exitCode, stdout, _) = await CliProcess.RunAsync("--version");
        Assert.Equal(0, exitCode);
        Assert.Matches(new Regex(@"^\d+\.\d+\.\d+"), stdout.Trim());
    }

    [Fact]
    public async Task Help_lists_the_server_command_and_its_flags()
    {
        var (exitCode, stdout, _) = await CliProcess.RunAsync("--help");
        Assert.Equal(0, exitCode);
        Assert.Contains("server", stdout, StringComparison.Ordinal);

        var (serverExit, serverHelp, _) = await CliProcess.RunAsync("server", "--help");
        Assert.Equal(0, serverExit);
        foreach (var flag in new[] { "--host", "--port", "--backend-store-uri", "--default-artifact-root", "--artifacts-destination", "--serve-artifacts", "--no-serve-artifacts", "--artifacts-only", "--artifacts-fsync" })
        {
            Assert.Contains(flag, serverHelp, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("mysql://nope")]
    [InlineData("sqlite:/relative-without-slashes.db")]
    [InlineData("sqlite:///:memory:")]
    public async Task Bad_backend_uri_is_a_one_line_error_with_exit_code_2(string uri)
    {
        var (exitCode, _, stderr) = await CliProcess.RunAsync("server", "--port", "0", "--backend-store-uri", uri, "--artifacts-destination", TempPath());
        Assert.Equal(2, exitCode);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("strata: error:", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--rate-limit", "lots", "--rate-limit must be")]
    [InlineData("--max-request-body-size", "12XB", "--max-request-body-size must be")]
    [InlineData("--max-data-body-size", "0", "--max-data-body-size must be")]
    [InlineData("--cors-allowed-origins", "not an origin", "--cors-allowed-origins:")]
    [InlineData("--forwarded-allow-ips", "proxy.example", "--forwarded-allow-ips:")]
    [InlineData("--x-frame-options", "ALLOWALL", "--x-frame-options must be")]
    [InlineData("--tls-cert", "/etc/hostname", "--tls-cert and --tls-key")]
    public async Task Bad_security_flags_are_a_one_line_error_with_exit_code_2(string flag, string value, string message)
    {
        var (exitCode, _, stderr) = await CliProcess.RunAsync(
            "server", "--port", "0", "--backend-store-uri", $"sqlite:///{TempPath()}/s.db", "--artifacts-destination", TempPath(), flag, value);
        Assert.Equal(2, exitCode);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Unwritable_folder_is_a_one_line_error_with_exit_code_2()
    {
        // A path below a regular file can never be created, even by root.
        var file = Path.GetTempFileName();
        try
        {
            var (exitCode, _, stderr) = await CliProcess.RunAsync(
                "server", "--port", "0", "--backend-store-uri", $"sqlite:///{file}/sub/strata.db", "--artifacts-destination", TempPath());
            Assert.Equal(2, exitCode);
            Assert.Single(stderr.Trim().Split('\n'));

            var (exitArtifacts, _, stderrArtifacts) = await CliProcess.RunAsync(
                "server", "--port", "0", "--backend-store-uri", $"sqlite:///{TempPath()}/strata.db", "--artifacts-destination", $"{file}/artifacts");
            Assert.Equal(2, exitArtifacts);
            Assert.Single(stderrArtifacts.Trim().Split('\n'));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Usage_errors_exit_with_code_2()
    {
        var (exitCode, _, stderr) = await CliProcess.RunAsync("server", "--port", "not-a-number");
        Assert.Equal(2, exitCode);
        Assert.StartsWith("strata: error:", stderr, StringComparison.Ordinal);
        Assert.Equal(2, (await CliProcess.RunAsync("server", "--no-such-flag")).ExitCode);
        Assert.Equal(2, (await CliProcess.RunAsync("server", "--port", "70000", "--backend-store-uri", $"sqlite:///{TempPath()}/s.db")).ExitCode);
    }

    [Fact]
    public async Task A_taken_port_is_a_one_line_error_with_exit_code_2()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var directory = TempPath();
        try
        {
            var (exitCode, _, stderr) = await CliProcess.RunAsync(
                "server", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--backend-store-uri", $"sqlite:///{directory}/strata.db", "--artifacts-destination", Path.Combine(directory, "artifacts"));
            Assert.Equal(2, exitCode);
            Assert.Single(stderr.Trim().Split('\n'));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task Server_starts_answers_health_and_stops_on_a_signal(string signal)
    {
        if (signal == "INT" && SigIntIgnoredByParent())
        {
            // Started as a background job of a non-interactive shell (e.g. `bash .ci/run &`), this process and every
            // child inherit SIGINT as ignored, and .NET keeps it ignored, as nohup'd programs do: nothing to test here.
            return;
        }

        var directory = TempPath();
        try
        {
            var watch = Stopwatch.StartNew();
            using var cli = CliProcess.Start(
                ["server", "--host", "127.0.0.1", "--port", "0", "--artifacts-destination", Path.Combine(directory, "artifacts")],
                new Dictionary<string, string> { ["STRATA_BACKEND_STORE_URI"] = $"sqlite:///{directory}/strata.db" });
            var line = await cli.WaitForOutputAsync(l => l.Contains("listening on http://", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            var startup = watch.Elapsed;
            var url = line[line.IndexOf("http://", StringComparison.Ordinal)..].Trim();

            using var http = new HttpClient { BaseAddress = new Uri(url) };
            Assert.Equal("OK", await http.GetStringAsync("/health"));
            Assert.True(File.Exists(Path.Combine(directory, "strata.db")), "the database named by STRATA_BACKEND_STORE_URI was created");

            cli.Signal(signal);
            Assert.Equal(0, await cli.WaitForExitAsync(TimeSpan.FromSeconds(20)));
            Assert.True(startup < TimeSpan.FromSeconds(10), $"startup took {startup}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Schema_newer_than_the_code_refuses_to_start_with_exit_code_2()
    {
        var directory = TempPath();
        try
        {
            var database = Path.Combine(directory, "strata.db");
            var uri = $"sqlite:///{database}";
            await using (var db = await Strata.Storage.Database.BackendStore.OpenAsync(uri))
            {
                await db.WriteAsync(
                    async (c, tx, ct) =>
                    {
                        await using var cmd = c.CreateCommand();
                        cmd.Transaction = tx;
                        cmd.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999999, 'from the future', 0)";
                        return await cmd.ExecuteNonQueryAsync(ct);
                    },
                    CancellationToken.None);
            }

            var (exitCode, _, stderr) = await CliProcess.RunAsync(
                "server", "--port", "0", "--backend-store-uri", uri, "--artifacts-destination", Path.Combine(directory, "artifacts"));
            Assert.Equal(2, exitCode);
            Assert.Single(stderr.Trim().Split('\n'));
            Assert.Contains("999999", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Whether SIGINT (bit 1 of the SigIgn mask in /proc/self/status) is ignored by this process.</summary>
    private static bool SigIntIgnoredByParent()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & 0x2) != 0;
    }

    private static string TempPath() => Directory.CreateTempSubdirectory("strata-cli-").FullName;
}
