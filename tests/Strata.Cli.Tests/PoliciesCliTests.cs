using System.Net.Http.Json;
using System.Text.Json;

namespace Strata.Cli.Tests;

/// <summary><c>strata policies ...</c> against a running <c>strata server</c>, both as processes.</summary>
public sealed class PoliciesCliTests
{
    [Fact]
    public async Task Policies_commands_drive_the_server()
    {
        var directory = Directory.CreateTempSubdirectory("strata-cli-policies-").FullName;
        try
        {
            using var server = CliProcess.Start(
                ["server", "--port", "0", "--backend-store-uri", $"sqlite:///{directory}/strata.db", "--artifacts-destination", Path.Combine(directory, "artifacts")]);
            var line = await server.WaitForOutputAsync(l => l.Contains("listening on http://", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            var url = line[line.IndexOf("http://", StringComparison.Ordinal)..].Trim();
            using (var http = new HttpClient { BaseAddress = new Uri(url.TrimEnd('/') + "/") })
            {
                (await http.PostAsJsonAsync("api/2.0/mlflow/registered-models/create", new { name = "cli-model" })).EnsureSuccessStatusCode();
                (await http.PostAsJsonAsync("api/2.0/mlflow/model-versions/create", new { name = "cli-model", source = "s3://b/m" })).EnsureSuccessStatusCode();
            }

            var (exit, stdout, stderr) = await CliProcess.RunAsync(
                "policies", "create", "--tracking-uri", url, "--name", "cli-policy", "--model", "cli-model", "--metric", "val_rmse", "--direction", "min",
                "--min-improvement", "0.02", "--set-alias", "challenger", "--promote", "true");
            Assert.True(exit == 0, stderr);
            var policy = JsonDocument.Parse(stdout).RootElement;
            var id = policy.GetProperty("policy_id").GetString()!;
            Assert.Equal(0.02, policy.GetProperty("gate").GetProperty("min_improvement").GetDouble());
            Assert.Equal("challenger", policy.GetProperty("actions").GetProperty("set_alias").GetString());

            (exit, stdout, _) = await CliProcess.RunAsync("policies", "update", "--tracking-uri", url, "--id", id, "--require-approval", "true");
            Assert.Equal(0, exit);
            var updated = JsonDocument.Parse(stdout).RootElement;
            Assert.True(updated.GetProperty("actions").GetProperty("require_approval").GetBoolean());
            Assert.Equal("val_rmse", updated.GetProperty("gate").GetProperty("metric").GetString());

            (exit, stdout, _) = await CliProcess.RunAsync("policies", "list", "--tracking-uri", url, "--model", "cli-model");
            Assert.Equal(0, exit);
            Assert.Equal(id, JsonDocument.Parse(stdout).RootElement.GetProperty("policies")[0].GetProperty("policy_id").GetString());

            // The version has no source run: its metric is missing, so it is refused.
            (exit, stdout, stderr) = await CliProcess.RunAsync("policies", "evaluate", "--tracking-uri", url, "--id", id, "--version", "1");
            Assert.True(exit == 0, stderr);
            var decision = JsonDocument.Parse(stdout).RootElement;
            Assert.Equal("REFUSED", decision.GetProperty("status").GetString());
            Assert.Contains("missing", decision.GetProperty("reasons")[0].GetString());
            var decisionId = decision.GetProperty("decision_id").GetString()!;

            (exit, stdout, _) = await CliProcess.RunAsync("policies", "decisions", "--tracking-uri", url, "--id", id);
            Assert.Equal(0, exit);
            Assert.Equal(decisionId, JsonDocument.Parse(stdout).RootElement.GetProperty("decisions")[0].GetProperty("decision_id").GetString());

            (exit, _, stderr) = await CliProcess.RunAsync("policies", "approve", "--tracking-uri", url, "--id", id, "--decision", decisionId);
            Assert.Equal(1, exit);
            Assert.Contains("RESOURCE_CONFLICT", stderr);
            (exit, _, stderr) = await CliProcess.RunAsync("policies", "reject", "--tracking-uri", url, "--id", id, "--decision", decisionId, "--comment", "no");
            Assert.Equal(1, exit);

            (exit, _, stderr) = await CliProcess.RunAsync("policies", "create", "--tracking-uri", url, "--name", "x", "--model", "cli-model", "--metric", "m", "--direction", "up");
            Assert.Equal(2, exit);
            Assert.Contains("--direction", stderr);

            Assert.Equal(0, (await CliProcess.RunAsync("policies", "delete", "--tracking-uri", url, "--id", id)).ExitCode);
            (exit, _, stderr) = await CliProcess.RunAsync("policies", "get", "--tracking-uri", url, "--id", id);
            Assert.Equal(1, exit);
            Assert.Contains("RESOURCE_DOES_NOT_EXIST", stderr);
            server.Signal("TERM");
            await server.WaitForExitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
