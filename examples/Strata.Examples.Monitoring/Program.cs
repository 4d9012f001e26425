using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.ML;
using Strata.Client;
using Strata.Models;
using Strata.Core.Tracking;
using Strata.Examples.Monitoring;

// Drift on real data: a weather classifier trained on Seattle's 2012–2013 is served the days of 2014–2015, which it
// never saw, and then a held-out sample of its own training period. Strata profiles the training data logged with
// the run, computes drift over each window of logged predictions, and records an event when the drifted share
// crosses the deployment's threshold. Everything runs against an in-process server (127.0.0.1, temp folder).

var data = WeatherData.Load(Path.Combine(AppContext.BaseDirectory, "data", "seattle-weather.csv"));
var trainingPeriod = data.Where(d => d.Date.Year <= 2013).ToList();
var heldOut = trainingPeriod.Where((_, i) => i % 5 == 4).ToList();
var train = trainingPeriod.Where((_, i) => i % 5 != 4).ToList();
var later = data.Where(d => d.Date.Year >= 2014).ToList();
Console.WriteLine($"seattle-weather.csv: {train.Count} training days (2012-2013), {heldOut.Count} held out, {later.Count} later days (2014-2015)");
const string Model = "seattle-weather";

var folder = Directory.CreateTempSubdirectory("strata-monitoring-example-");
try
{
    // 1. Train, log the reference data with the run, register the model.
    var ml = new MLContext(seed: 1);
    var trainView = ml.Data.LoadFromEnumerable(train);
    var labels = ml.Transforms.Conversion.MapValueToKey("Label", "weather").Fit(trainView);
    var pipeline = ml.Transforms.Concatenate("Features", "precipitation", "temp_max", "temp_min", "wind")
        .Append(ml.Transforms.NormalizeMinMax("Features"))
        .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Features"))
        .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
    var model = pipeline.Fit(labels.Transform(trainView));
    var engine = ml.Model.CreatePredictionEngine<WeatherInput, WeatherPrediction>(model);
    var trainAccuracy = train.Count(d => engine.Predict(d).PredictedLabel == d.Weather) / (double)train.Count;

    await using (var server = await InProcessServer.StartAsync(folder))
    {
        using var client = StrataClient.Create(new StrataClientOptions { TrackingUri = server.Uri });
        await client.RunAsync("seattle-weather", async run =>
        {
            await run.LogParamsAsync(new Dictionary<string, string> { ["trainer"] = "sdca_maximum_entropy", ["period"] = "2012-2013" });
            run.LogMetric("train_accuracy", trainAccuracy);

            // The reference: the training days with the model's own predictions, which drift compares the served
            // predictions with (Evidently's "prediction" column of the reference data).
            var csv = new StringBuilder("precipitation,temp_max,temp_min,wind,weather,PredictedLabel\n");
            foreach (var d in train)
            {
                csv.Append(CultureInfo.InvariantCulture, $"{d.Precipitation},{d.TempMax},{d.TempMin},{d.Wind},{d.Weather},{engine.Predict(d).PredictedLabel}\n");
            }

            var bytes = Encoding.UTF8.GetBytes(csv.ToString());
            await run.UploadArtifactAsync("reference/train.csv", new MemoryStream(bytes));
            var digest = await Strata.Client.Datasets.DatasetBuilder.DigestAsync(new MemoryStream(bytes));
            await run.LogInputAsync(
                new Dataset("seattle-weather-2012-2013", digest, "artifact", JsonSerializer.Serialize(new { uri = $"runs:/{run.RunId}/reference/train.csv" })),
                context: "training");
            var logged = await run.LogModelAsync(ml, model, ml.Data.LoadFromEnumerable(new List<WeatherInput>()).Schema, new LogModelOptions
            {
                Name = "weather-classifier",
                RegisteredModelName = Model,
            });
            Console.WriteLine($"trained (train accuracy {trainAccuracy:F3}), registered {Model} version {logged.RegisteredVersion!.Version}");
        }, runName: "train-2012-2013");
    }

    // 2. Serve the registered model (strata server --serve-model seattle-weather=models:/seattle-weather/1).
    await using var serving = await InProcessServer.StartAsync(folder, $"{Model}=models:/{Model}/1");
    using var http = new HttpClient { BaseAddress = serving.Uri, Timeout = TimeSpan.FromSeconds(60) };
    for (var i = 0; !(await http.GetAsync($"serving/{Model}/ping")).IsSuccessStatusCode; i++)
    {
        if (i == 600)
        {
            throw new TimeoutException("The served model did not load within a minute.");
        }

        await Task.Delay(100);
    }

    // The profile of version 1 from the dataset its run logged (also computed on registration in the background).
    var profile = await Call(http.PostAsJsonAsync("api/2.0/strata/monitoring/profiles", new { name = Model, version = "1", prediction_column = "PredictedLabel" }));
    Console.WriteLine($"reference profile: {profile.GetProperty("reference_profile").GetProperty("profile").GetProperty("row_count")} rows");
    await Call(http.PutAsJsonAsync($"api/2.0/strata/deployments/{Model}/alerts", new { drift_share = 0.3 }));

    // 3. Traffic: the later period, then the held-out days, each its own window of the prediction log.
    var laterWindow = await ServeAsync(http, later);
    var heldOutWindow = await ServeAsync(http, heldOut);
    var laterRun = await DriftAsync(http, laterWindow, later.Count);
    var heldOutRun = await DriftAsync(http, heldOutWindow, heldOut.Count);
    Print("2014-2015 (never seen)", laterRun);
    Print("held-out 2012-2013 days", heldOutRun);

    var events = await Call(http.GetAsync($"api/2.0/strata/registry/events?name={Model}"));
    foreach (var e in events.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("event_type").GetString()!.StartsWith("deployment.", StringComparison.Ordinal)))
    {
        Console.WriteLine($"registry event: {e.GetProperty("event_type").GetString()} {e.GetProperty("after").GetRawText()}");
    }

    var drifted = Drifted(laterRun);
    var ok = drifted.Contains("temp_max") && drifted.Contains("temp_min") && !drifted.Contains("precipitation") && Drifted(heldOutRun).Count == 0;
    Console.WriteLine(ok ? "as expected: the temperatures drifted in 2014-2015, the held-out days did not" : "UNEXPECTED drift verdicts");
    return ok ? 0 : 1;
}
finally
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    folder.Delete(recursive: true);
}

static async Task<(long From, long To)> ServeAsync(HttpClient http, IReadOnlyList<WeatherDay> days)
{
    var from = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    foreach (var chunk in days.Chunk(10))
    {
        using var response = await http.PostAsync(
            $"serving/{"seattle-weather"}/invocations", new StringContent(WeatherData.Request(chunk), Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }

    var to = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    await Task.Delay(50); // the next window starts strictly later
    return (from, to);
}

// The log is written in the background: recompute until the window holds every request (a few ms at most).
static async Task<JsonElement> DriftAsync(HttpClient http, (long From, long To) window, int rows)
{
    for (var attempt = 0; ; attempt++)
    {
        var body = await Call(http.PostAsJsonAsync(
            $"api/2.0/strata/deployments/{"seattle-weather"}/drift/compute",
            new { version = "1", from = window.From.ToString(CultureInfo.InvariantCulture), to = window.To.ToString(CultureInfo.InvariantCulture) }));
        var run = body.GetProperty("drift_runs")[0];
        if (run.GetProperty("current_rows").GetInt64() >= rows || attempt == 50)
        {
            return run;
        }

        await Task.Delay(100);
    }
}

static async Task<JsonElement> Call(Task<HttpResponseMessage> request)
{
    using var response = await request;
    var text = await response.Content.ReadAsStringAsync();
    return response.IsSuccessStatusCode ? JsonDocument.Parse(text).RootElement.Clone() : throw new HttpRequestException($"{(int)response.StatusCode}: {text}");
}

static List<string> Drifted(JsonElement run) =>
    run.GetProperty("features").EnumerateArray().Where(f => f.GetProperty("drifted").GetBoolean()).Select(f => f.GetProperty("feature").GetString()!).ToList();

static void Print(string title, JsonElement run)
{
    Console.WriteLine();
    Console.WriteLine(FormattableString.Invariant(
        $"{title}: {run.GetProperty("current_rows")} rows, drift share {run.GetProperty("drift_share").GetDouble():F2}"));
    foreach (var f in run.GetProperty("features").EnumerateArray())
    {
        Console.WriteLine(FormattableString.Invariant(
            $"  {f.GetProperty("feature").GetString(),-15} {f.GetProperty("method").GetString(),-10} score {f.GetProperty("score").GetDouble(),10:G4}  threshold {f.GetProperty("threshold").GetDouble():G3}  {(f.GetProperty("drifted").GetBoolean() ? "DRIFT" : "-")}"));
    }
}
