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
            var ml = new MLContext(seed: 1);
            var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 50).Select(i => new Row { X = i, Label = (2 * i) + 1 }));
            var model = ml.Transforms.Concatenate("Features", nameof(Row.X)).Append(ml.Regression.Trainers.Sdca(maximumNumberOfIterations: 50)).Fit(data);
            var folder = Path.Combine(directory, "line");
            await MlnetFlavor.SaveAsync(folder, ml, model, data.Schema);

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
}
