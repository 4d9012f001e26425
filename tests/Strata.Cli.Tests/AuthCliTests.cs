using System.Text.Json;

namespace Strata.Cli.Tests;

/// <summary><c>strata server --auth</c> and <c>strata users|tokens ...</c>, as processes, signed in through MLflow's variables.</summary>
public sealed class AuthCliTests
{
    [Fact]
    public async Task Auth_without_an_admin_is_a_one_line_error_with_exit_code_2()
    {
        var directory = Directory.CreateTempSubdirectory("strata-cli-auth-").FullName;
        try
        {
            var (exitCode, _, stderr) = await CliProcess.RunAsync(
                "server", "--auth", "--port", "0", "--backend-store-uri", $"sqlite:///{directory}/strata.db", "--artifacts-destination", Path.Combine(directory, "artifacts"));
            Assert.Equal(2, exitCode);
            Assert.Single(stderr.Trim().Split('\n'));
            Assert.Contains("STRATA_ADMIN_USERNAME", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Users_and_tokens_commands_drive_a_server_with_auth()
    {
        var directory = Directory.CreateTempSubdirectory("strata-cli-auth-").FullName;
        try
        {
            using var server = CliProcess.Start(
                ["server", "--auth", "--port", "0", "--backend-store-uri", $"sqlite:///{directory}/strata.db", "--artifacts-destination", Path.Combine(directory, "artifacts")],
                new Dictionary<string, string> { ["STRATA_ADMIN_USERNAME"] = "admin", ["STRATA_ADMIN_PASSWORD"] = "admin-password-1" });
            var line = await server.WaitForOutputAsync(l => l.Contains("listening on http://", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            var url = line[line.IndexOf("http://", StringComparison.Ordinal)..].Trim();
            var admin = new Dictionary<string, string>
            {
                ["MLFLOW_TRACKING_URI"] = url, ["MLFLOW_TRACKING_USERNAME"] = "admin", ["MLFLOW_TRACKING_PASSWORD"] = "admin-password-1", ["CAROL_PW"] = "carol-password-1",
            };
            var carol = new Dictionary<string, string> { ["MLFLOW_TRACKING_URI"] = url, ["MLFLOW_TRACKING_USERNAME"] = "carol", ["MLFLOW_TRACKING_PASSWORD"] = "carol-password-1" };

            var (exit, stdout, stderr) = await RunAsync(admin, "users", "create", "-u", "carol", "--password-env", "CAROL_PW");
            Assert.True(exit == 0, stderr);
            Assert.Equal("carol", JsonDocument.Parse(stdout).RootElement.GetProperty("user").GetProperty("username").GetString());

            (exit, stdout, stderr) = await RunAsync(carol, "tokens", "create", "--name", "ci", "--expires-in-days", "7");
            Assert.True(exit == 0, stderr);
            var created = JsonDocument.Parse(stdout).RootElement;
            var secret = created.GetProperty("secret").GetString()!;
            var id = created.GetProperty("token").GetProperty("id").GetString()!;

            // The token signs in through MLFLOW_TRACKING_TOKEN; listing never shows the secret.
            (exit, stdout, stderr) = await RunAsync(new Dictionary<string, string> { ["MLFLOW_TRACKING_URI"] = url, ["MLFLOW_TRACKING_TOKEN"] = secret }, "tokens", "list");
            Assert.True(exit == 0, stderr);
            Assert.Contains(id, stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, stdout, StringComparison.Ordinal);

            // A non-admin may not list users: the API's error, exit code 1.
            (exit, _, stderr) = await RunAsync(carol, "users", "list");
            Assert.Equal(1, exit);
            Assert.Contains("PERMISSION_DENIED", stderr, StringComparison.Ordinal);

            (exit, _, stderr) = await RunAsync(carol, "tokens", "revoke", "--id", id);
            Assert.True(exit == 0, stderr);
            (exit, _, stderr) = await RunAsync(admin, "users", "delete", "-u", "carol");
            Assert.True(exit == 0, stderr);
            (exit, stdout, _) = await RunAsync(admin, "users", "list");
            Assert.Equal(0, exit);
            Assert.DoesNotContain("carol", stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(IDictionary<string, string> environment, params string[] args)
    {
        using var cli = CliProcess.Start(args, environment);
        var exit = await cli.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (exit, cli.Stdout, cli.Stderr);
    }
}
