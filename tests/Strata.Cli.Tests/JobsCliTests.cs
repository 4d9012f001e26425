using System.Text.Json;

namespace Strata.Cli.Tests;

/// <summary><c>strata jobs ...</c> against a running <c>strata server</c>, both as processes.</summary>
public sealed class JobsCliTests
{
    [Fact]
    public async Task Jobs_commands_drive_the_server()
    {
        var directory = Directory.CreateTempSubdirectory("strata-cli-jobs-").FullName;
        try
        {
            using var server = CliProcess.Start(
                ["server", "--port", "0", "--backend-store-uri", $"sqlite:///{directory}/strata.db", "--artifacts-destination", Path.Combine(directory, "artifacts")]);
            var line = await server.WaitForOutputAsync(l => l.Contains("listening on http://", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            var url = line[line.IndexOf("http://", StringComparison.Ordinal)..].Trim();

            // The program and its arguments after '--', dashes and all.
            var (exit, stdout, stderr) = await CliProcess.RunAsync(
                "jobs", "create", "--tracking-uri", url, "--name", "cli-job", "--env", "WHO=cli", "--timeout", "60", "--schedule", "0 3 * * *",
                "--", "/bin/sh", "-c", "echo \"hi $WHO\"");
            Assert.True(exit == 0, stderr);
            var job = JsonDocument.Parse(stdout).RootElement;
            Assert.Equal("/bin/sh", job.GetProperty("command").GetString());
            Assert.Equal("-c", job.GetProperty("args")[0].GetString());
            Assert.True(job.TryGetProperty("next_scheduled_time", out _));

            (exit, stdout, _) = await CliProcess.RunAsync("jobs", "list", "--tracking-uri", url);
            Assert.Equal(0, exit);
            Assert.Equal("cli-job", JsonDocument.Parse(stdout).RootElement.GetProperty("jobs")[0].GetProperty("name").GetString());

            (exit, stdout, stderr) = await CliProcess.RunAsync("jobs", "run", "--tracking-uri", url, "--name", "cli-job");
            Assert.True(exit == 0, stderr);
            var id = JsonDocument.Parse(stdout).RootElement.GetProperty("execution_id").GetString()!;

            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                (exit, stdout, _) = await CliProcess.RunAsync("jobs", "executions", "--tracking-uri", url, "--name", "cli-job");
                Assert.Equal(0, exit);
                var execution = JsonDocument.Parse(stdout).RootElement.GetProperty("executions")[0];
                if (execution.GetProperty("status").GetString() == "succeeded")
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, stdout);
                await Task.Delay(200);
            }

            (exit, stdout, _) = await CliProcess.RunAsync("jobs", "logs", "--tracking-uri", url, "--execution-id", id);
            Assert.Equal(0, exit);
            Assert.Equal("hi cli\n", stdout);

            (exit, stdout, _) = await CliProcess.RunAsync("jobs", "cancel", "--tracking-uri", url, "--execution-id", id);
            Assert.Equal(0, exit);
            Assert.Equal("succeeded", JsonDocument.Parse(stdout).RootElement.GetProperty("status").GetString());

            (exit, stdout, _) = await CliProcess.RunAsync("jobs", "update", "--tracking-uri", url, "--name", "cli-job", "--enabled", "false", "--schedule", "");
            Assert.Equal(0, exit);
            Assert.False(JsonDocument.Parse(stdout).RootElement.GetProperty("enabled").GetBoolean());

            (exit, _, stderr) = await CliProcess.RunAsync("jobs", "update", "--tracking-uri", url, "--name", "cli-job", "--schedule", "every tuesday");
            Assert.Equal(1, exit);
            Assert.Contains("INVALID_PARAMETER_VALUE", stderr);

            Assert.Equal(0, (await CliProcess.RunAsync("jobs", "delete", "--tracking-uri", url, "--name", "cli-job")).ExitCode);
            (exit, _, stderr) = await CliProcess.RunAsync("jobs", "get", "--tracking-uri", url, "--name", "cli-job");
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
