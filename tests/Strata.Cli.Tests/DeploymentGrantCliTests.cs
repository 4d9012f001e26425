using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Strata.Cli.Tests;

/// <summary><c>strata users grant-deployment|revoke-deployment</c> against a server with <c>--auth</c>, as processes.</summary>
public sealed class DeploymentGrantCliTests
{
    [Fact]
    public async Task Grant_change_and_revoke_a_users_permission_on_a_deployment()
    {
        var directory = Directory.CreateTempSubdirectory("strata-cli-grant-").FullName;
        try
        {
            using var server = CliProcess.Start(
                ["server", "--auth", "--auth-default-permission", "NO_PERMISSIONS", "--port", "0", "--backend-store-uri", $"sqlite:///{directory}/strata.db",
                    "--artifacts-destination", Path.Combine(directory, "artifacts")],
                new Dictionary<string, string> { ["STRATA_ADMIN_USERNAME"] = "admin", ["STRATA_ADMIN_PASSWORD"] = "admin-password-1" });
            var line = await server.WaitForOutputAsync(l => l.Contains("listening on http://", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            var url = line[line.IndexOf("http://", StringComparison.Ordinal)..].Trim();
            using var admin = Client(url, "admin", "admin-password-1");
            await PostAsync(admin, "/api/2.0/mlflow/registered-models/create", new { name = "m" });
            await PostAsync(admin, "/api/2.0/mlflow/model-versions/create", new { name = "m", source = "s3://bucket/m/1" });
            await PostAsync(admin, "/api/2.0/strata/deployments", new { name = "fraud", route = new[] { new { model_name = "m", version = "1", weight = 100 } } });
            await PostAsync(admin, "/api/2.0/mlflow/users/create", new { username = "dave", password = "dave-password-1" });
            using var dave = Client(url, "dave", "dave-password-1");
            var asAdmin = new Dictionary<string, string> { ["MLFLOW_TRACKING_URI"] = url, ["MLFLOW_TRACKING_USERNAME"] = "admin", ["MLFLOW_TRACKING_PASSWORD"] = "admin-password-1" };

            Assert.Equal(HttpStatusCode.Forbidden, (await dave.GetAsync("/api/2.0/strata/deployments/fraud")).StatusCode);

            var (exit, stdout, stderr) = await RunAsync(asAdmin, "users", "grant-deployment", "-u", "dave", "-d", "fraud", "-p", "READ");
            Assert.True(exit == 0, stderr);
            Assert.Equal("READ", JsonDocument.Parse(stdout).RootElement.GetProperty("deployment_permission").GetProperty("permission").GetString());
            Assert.Equal(HttpStatusCode.OK, (await dave.GetAsync("/api/2.0/strata/deployments/fraud")).StatusCode);
            Assert.Equal(["fraud"], await ListedAsync(dave));

            // Granting again changes the grant instead of failing.
            (exit, stdout, stderr) = await RunAsync(asAdmin, "users", "grant-deployment", "-u", "dave", "-d", "fraud", "-p", "MANAGE");
            Assert.True(exit == 0, stderr);
            Assert.Equal("MANAGE", JsonDocument.Parse(stdout).RootElement.GetProperty("deployment_permission").GetProperty("permission").GetString());

            (exit, _, stderr) = await RunAsync(asAdmin, "users", "grant-deployment", "-u", "dave", "-d", "fraud", "-p", "OWNER");
            Assert.NotEqual(0, exit);
            Assert.Contains("OWNER", stderr, StringComparison.Ordinal);

            (exit, _, stderr) = await RunAsync(asAdmin, "users", "revoke-deployment", "-u", "dave", "-d", "fraud");
            Assert.True(exit == 0, stderr);
            Assert.Equal(HttpStatusCode.Forbidden, (await dave.GetAsync("/api/2.0/strata/deployments/fraud")).StatusCode);
            Assert.Empty(await ListedAsync(dave));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<List<string>> ListedAsync(HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync("/api/2.0/strata/deployments")).RootElement.TryGetProperty("deployments", out var items)
            ? items.EnumerateArray().Select(d => d.GetProperty("name").GetString()!).ToList()
            : [];

    private static HttpClient Client(string url, string username, string password)
    {
        var client = new HttpClient { BaseAddress = new Uri(url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}")));
        return client;
    }

    private static async Task PostAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsync(path, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(IDictionary<string, string> environment, params string[] args)
    {
        using var cli = CliProcess.Start(args, environment);
        var exit = await cli.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (exit, cli.Stdout, cli.Stderr);
    }
}
