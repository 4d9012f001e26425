using System.Text.Json;

namespace Strata.Cli.Tests;

/// <summary><c>strata webhooks ...</c> against a running <c>strata server</c>, both as processes.</summary>
public sealed class WebhooksCliTests
{
    [Fact]
    public async Task Webhooks_commands_drive_the_server()
    {
        var directory = Directory.CreateTempSubdirectory("strata-cli-webhooks-").FullName;
        try
        {
            using var server = CliProcess.Start(
                ["server", "--port", "0", "--backend-store-uri", $"sqlite:///{directory}/strata.db", "--artifacts-destination", Path.Combine(directory, "artifacts")]);
            var line = await server.WaitForOutputAsync(l => l.Contains("listening on http://", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            var url = line[line.IndexOf("http://", StringComparison.Ordinal)..].Trim();

            var (exit, stdout, stderr) = await CliProcess.RunAsync(
                "webhooks", "create", "--tracking-uri", url, "--name", "cli-hook", "--url", "http://127.0.0.1:1/x",
                "--event", "model_version.created", "-e", "prompt.created", "--secret", "shh");
            Assert.True(exit == 0, stderr);
            Assert.DoesNotContain("shh", stdout);
            var id = JsonDocument.Parse(stdout).RootElement.GetProperty("webhook_id").GetString()!;

            (exit, stdout, _) = await CliProcess.RunAsync("webhooks", "update", "--tracking-uri", url, "--id", id, "--status", "DISABLED");
            Assert.Equal(0, exit);
            Assert.Equal("DISABLED", JsonDocument.Parse(stdout).RootElement.GetProperty("status").GetString());

            (exit, stdout, _) = await CliProcess.RunAsync("webhooks", "list", "--tracking-uri", url);
            Assert.Equal(0, exit);
            Assert.Equal(id, JsonDocument.Parse(stdout).RootElement.GetProperty("webhooks")[0].GetProperty("webhook_id").GetString());

            (exit, stdout, _) = await CliProcess.RunAsync("webhooks", "test", "--tracking-uri", url, "--id", id);
            Assert.Equal(0, exit);
            Assert.False(JsonDocument.Parse(stdout).RootElement.GetProperty("result").GetProperty("success").GetBoolean());

            (exit, stdout, _) = await CliProcess.RunAsync("webhooks", "deliveries", "--tracking-uri", url, "--id", id);
            Assert.Equal(0, exit);

            Assert.Equal(0, (await CliProcess.RunAsync("webhooks", "delete", "--tracking-uri", url, "--id", id)).ExitCode);
            (exit, _, stderr) = await CliProcess.RunAsync("webhooks", "get", "--tracking-uri", url, "--id", id);
            Assert.Equal(1, exit);
            Assert.Contains("RESOURCE_DOES_NOT_EXIST", stderr);

            (exit, _, stderr) = await CliProcess.RunAsync(
                "webhooks", "create", "--tracking-uri", url, "--name", "bad", "--url", "http://127.0.0.1:1/x", "--event", "model_version.deleted");
            Assert.Equal(2, exit);
            Assert.Contains("model_version", stderr);
            server.Signal("TERM");
            await server.WaitForExitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
