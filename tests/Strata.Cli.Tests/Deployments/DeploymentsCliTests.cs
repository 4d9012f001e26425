using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Strata.Server;
using Strata.Server.Hosting;

namespace Strata.Cli.Tests.Deployments;

/// <summary><c>strata deployments ...</c> against a real server started in the test process.</summary>
public sealed class DeploymentsCliTests
{
    [Fact]
    public async Task Create_update_list_revisions_rollback_and_delete_from_the_command_line()
    {
        var directory = Directory.CreateTempSubdirectory("strata-cli-deployments-").FullName;
        var app = await StrataServer.BuildAsync(
            new StrataServerOptions { Port = 0, BackendStoreUri = "sqlite:///" + Path.Combine(directory, "strata.db"), ArtifactsDestination = Path.Combine(directory, "artifacts") },
            configure: b => b.Logging.ClearProviders());
        try
        {
            await app.StartAsync();
            var url = app.ListeningAddresses().First();
            using var client = new HttpClient { BaseAddress = new Uri(url) };
            (await client.PostAsJsonAsync("/api/2.0/mlflow/registered-models/create", new { name = "churn" })).EnsureSuccessStatusCode();
            foreach (var source in new[] { "s3://b/1", "s3://b/2" })
            {
                (await client.PostAsJsonAsync("/api/2.0/mlflow/model-versions/create", new { name = "churn", source })).EnsureSuccessStatusCode();
            }

            (await client.PostAsJsonAsync("/api/2.0/mlflow/registered-models/alias", new { name = "churn", alias = "champion", version = "1" })).EnsureSuccessStatusCode();

            async Task<JsonElement> RunAsync(params string[] args)
            {
                var (exit, stdout, stderr) = await CliProcess.RunAsync(["deployments", .. args, "--tracking-uri", url]);
                Assert.True(exit == 0, $"{string.Join(' ', args)}: exit {exit}: {stderr}");
                return JsonDocument.Parse(stdout).RootElement.Clone();
            }

            var created = await RunAsync("create", "-n", "churn-api", "-r", "churn@champion=90", "-r", "churn/2=10", "--shadow", "churn/2", "--sticky-header", "x-customer", "--timeout", "5");
            Assert.Equal(1, created.GetProperty("current_revision").GetInt64());
            Assert.Equal("x-customer", created.GetProperty("revision").GetProperty("sticky_key").GetProperty("header").GetString());

            // Flags not given are kept from the current revision.
            var updated = await RunAsync("update", "-n", "churn-api", "-r", "churn@champion=50", "-r", "churn/2=50");
            Assert.Equal(2, updated.GetProperty("current_revision").GetInt64());
            Assert.Equal(50, updated.GetProperty("revision").GetProperty("route")[1].GetProperty("weight").GetDouble());
            Assert.Equal("2", updated.GetProperty("revision").GetProperty("shadow").GetProperty("version").GetString());
            Assert.Equal(5, updated.GetProperty("revision").GetProperty("settings").GetProperty("timeout_seconds").GetDouble());

            var (staleExit, _, staleError) = await CliProcess.RunAsync("deployments", "update", "-n", "churn-api", "--revision", "1", "--shadow", "none", "--tracking-uri", url);
            Assert.Equal(1, staleExit);
            Assert.Contains("RESOURCE_CONFLICT", staleError, StringComparison.Ordinal);

            var (badExit, _, badError) = await CliProcess.RunAsync("deployments", "create", "-n", "bad", "-r", "churn@champion=90", "-r", "churn/2=5", "--tracking-uri", url);
            Assert.Equal(1, badExit);
            Assert.Contains("add up to 100", badError, StringComparison.Ordinal);

            Assert.Contains((await RunAsync("list")).GetProperty("deployments").EnumerateArray(), d => d.GetProperty("name").GetString() == "churn-api");
            var rolledBack = await RunAsync("rollback", "-n", "churn-api", "--to-revision", "1");
            Assert.Equal(3, rolledBack.GetProperty("current_revision").GetInt64());
            Assert.Equal(90, rolledBack.GetProperty("revision").GetProperty("route")[0].GetProperty("weight").GetDouble());
            Assert.Equal([3L, 2L, 1L], (await RunAsync("revisions", "-n", "churn-api")).GetProperty("revisions").EnumerateArray().Select(r => r.GetProperty("revision").GetInt64()));
            Assert.Equal("churn-api", (await RunAsync("get", "-n", "churn-api")).GetProperty("name").GetString());
            await RunAsync("delete", "-n", "churn-api");
            var (gone, _, goneError) = await CliProcess.RunAsync("deployments", "get", "-n", "churn-api", "--tracking-uri", url);
            Assert.Equal(1, gone);
            Assert.Contains("RESOURCE_DOES_NOT_EXIST", goneError, StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }
}
