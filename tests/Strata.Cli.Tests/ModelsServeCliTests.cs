using System.Text;
using System.Text.Json;
using Microsoft.ML;
using Strata.Serving.Models;

namespace Strata.Cli.Tests;

/// <summary><c>strata models serve</c> as a process: flag errors, and serving a local model folder with the log on.</summary>
public sealed class ModelsServeCliTests
{
    private sealed class Row
    {
        public float X { get; set; }

        public float Label { get; set; }
    }

    [Theory]
    [InlineData("--tracking-uri", "models", "serve", "-m", "models:/weather/1")]
    [InlineData("--log-sample-rate", "models", "serve", "-m", "/tmp/x", "--log-sample-rate", "2")]
    [InlineData("--model-uri", "models", "serve")]
    [InlineData("--timeout", "models", "serve", "-m", "/tmp/x", "--timeout", "0")]
    [InlineData("--log-flush-interval-ms", "models", "serve", "-m", "/tmp/x", "--log-flush-interval-ms", "20000")]
    [InlineData("--timeout", "server", "--timeout", "-1")]
    [InlineData("--max-batch-size", "server", "--enable-batching", "--max-batch-size", "0")]
    [InlineData("--log-flush-interval-ms", "server", "--log-flush-interval-ms", "-5")]
    [InlineData("--poll-interval-seconds", "server", "--poll-interval-seconds", "0")]
    [InlineData("--env-manager conda", "models", "serve", "-m", "/tmp/x", "--env-manager", "conda")]
    [InlineData("--workers", "server", "--workers", "0")]
    public async Task Bad_flags_exit_with_code_2_and_one_line(string mentions, params string[] args)
    {
        var (exitCode, _, stderr) = await CliProcess.RunAsync(args);
        Assert.Equal(2, exitCode);
        Assert.Contains(mentions, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_timeout_variable_exits_with_code_2_naming_it()
    {
        using var cli = CliProcess.Start(
            ["models", "serve", "-m", "/tmp/x"], new Dictionary<string, string> { ["MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT"] = "soon" });
        Assert.Equal(2, await cli.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serves_a_model_folder_and_logs_its_predictions()
    {
        var directory = Directory.CreateTempSubdirectory("strata-cli-serve-").FullName;
        try
        {
            var folder = await SaveLineModelAsync(directory);

            using var cli = CliProcess.Start(
                ["models", "serve", "-m", folder, "--port", "0", "--backend-store-uri", $"sqlite:///{directory}/strata.db", "--enable-batching"]);
            var line = await cli.WaitForOutputAsync(l => l.Contains(" on http://", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            Assert.StartsWith("Serving line on", line, StringComparison.Ordinal);
            using var http = new HttpClient { BaseAddress = new Uri(line[line.IndexOf("http://", StringComparison.Ordinal)..].Trim()) };

            Assert.Equal("\n", await http.GetStringAsync("/ping"));
            using var response = await http.PostAsync("/invocations",
                new StringContent("""{"dataframe_records": [{"X": 3}, {"X": 10}]}""", Encoding.UTF8, "application/json"));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            var predictions = JsonDocument.Parse(body).RootElement.GetProperty("predictions").EnumerateArray().Select(p => p.GetDouble()).ToArray();
            Assert.Equal(2, predictions.Length);
            Assert.True(predictions[1] > predictions[0], body);

            var logged = 0;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (logged == 0 && DateTime.UtcNow < deadline)
            {
                logged = JsonDocument.Parse(await http.GetStringAsync("/api/2.0/strata/predictions?model=line")).RootElement.GetProperty("predictions").GetArrayLength();
                await Task.Delay(20);
            }

            Assert.Equal(1, logged);
            cli.Signal("TERM");
            Assert.Equal(0, await cli.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task The_tracking_server_takes_the_serving_flags_for_the_models_it_serves()
    {
        // --log-sample-rate 0 on `strata server` reaches its mounted model: the request is counted, nothing is queued.
        var directory = Directory.CreateTempSubdirectory("strata-cli-server-serve-").FullName;
        try
        {
            var folder = await SaveLineModelAsync(directory);
            using var cli = CliProcess.Start(
            [
                "server", "--port", "0", "--backend-store-uri", $"sqlite:///{directory}/strata.db", "--artifacts-destination", Path.Combine(directory, "artifacts"),
                "--serve-model", $"line={folder}", "--log-sample-rate", "0", "--enable-batching", "--timeout", "5", "--log-flush-interval-ms", "5",
            ]);
            var line = await cli.WaitForOutputAsync(l => l.Contains("listening on http://", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            using var http = new HttpClient { BaseAddress = new Uri(line[line.IndexOf("http://", StringComparison.Ordinal)..].Trim()) };

            // The server loads its models in the background: 503 until then.
            HttpResponseMessage response;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                response = await http.PostAsync("/serving/line/invocations", new StringContent("""{"dataframe_records": [{"X": 3}]}""", Encoding.UTF8, "application/json"));
                if (response.IsSuccessStatusCode || DateTime.UtcNow > deadline)
                {
                    break;
                }

                response.Dispose();
                await Task.Delay(50);
            }

            using (response)
            {
                Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            }

            var metrics = await http.GetStringAsync("/metrics");
            Assert.Contains("strata_serving_prediction_log_enqueued_total 0", metrics, StringComparison.Ordinal);
            Assert.Matches("strata_serving_requests_total\\{[^}]*model=\"line\"[^}]*status=\"200\"[^}]*\\} 1", metrics);
            cli.Signal("TERM");
            Assert.Equal(0, await cli.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    internal static async Task<string> SaveLineModelAsync(string directory)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 50).Select(i => new Row { X = i, Label = (2 * i) + 1 }));
        var model = ml.Transforms.Concatenate("Features", nameof(Row.X)).Append(ml.Regression.Trainers.Sdca(maximumNumberOfIterations: 50)).Fit(data);
        var folder = Path.Combine(directory, "line");
        await MlnetFlavor.SaveAsync(folder, ml, model, data.Schema);
        return folder;
    }
}
