using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Strata.Server;
using Strata.Serving.Hosting;

namespace Strata.Examples.Training;

/// <summary>
/// Serves <c>models:/breast-cancer-triage@champion</c> the way <c>strata models serve</c> does (same host, protocols,
/// batching, prediction log) on a free local port, and queries it as a client would.
/// </summary>
public static class TriageServing
{
    public static async Task<bool> ServeAndQueryAsync(Uri trackingUri, IReadOnlyList<Sample> rows)
    {
        var cache = Directory.CreateTempSubdirectory("strata-example-serve-");
        await using var app = await ServingHost.BuildAsync(
            new ServingHostOptions
            {
                Host = "127.0.0.1",
                Port = 0,
                Serving = new ServingOptions
                {
                    Models = [new ServeModelSpec(TriageModel.RegisteredName, $"models:/{TriageModel.RegisteredName}@champion")],
                    TrackingUri = trackingUri.ToString(),
                    CacheDirectory = cache.FullName,
                },
            },
            b => b.Logging.ClearProviders());
        await app.StartAsync();
        try
        {
            var address = app.ListeningAddresses().First();
            Console.WriteLine($"serving (as `strata models serve -m models:/{TriageModel.RegisteredName}@champion --tracking-uri {trackingUri}`) at {address}");
            using var http = new HttpClient { BaseAddress = new Uri(address) };

            var request = new { dataframe_split = new { columns = BreastCancerData.FeatureNames, data = rows.Take(3).Select(r => r.Features) } };
            using var good = await http.PostAsJsonAsync("/invocations", request);
            Console.WriteLine($"POST /invocations (3 rows) -> {(int)good.StatusCode} {await good.Content.ReadAsStringAsync()}");

            var negative = rows[0].Features.ToArray();
            negative[0] = -1;
            var invalid = new { dataframe_split = new { columns = BreastCancerData.FeatureNames, data = new[] { negative } } };
            using var bad = await http.PostAsJsonAsync("/invocations", invalid);
            Console.WriteLine($"POST /invocations (a negative radius) -> {(int)bad.StatusCode} {await bad.Content.ReadAsStringAsync()}");

            using var body = JsonDocument.Parse(await good.Content.ReadAsStringAsync());
            return good.IsSuccessStatusCode && (int)bad.StatusCode == 400 && body.RootElement.GetProperty("predictions").GetArrayLength() == 3;
        }
        finally
        {
            await app.StopAsync();
            cache.Delete(recursive: true);
        }
    }
}
