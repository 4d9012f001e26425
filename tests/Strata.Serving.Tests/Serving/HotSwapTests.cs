using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Strata.Core.Models;
using Strata.Server;
using Strata.Serving.Batching;
using Strata.Serving.Hosting;
using Strata.Serving.Models;
using static Strata.Serving.Tests.Serving.RequestBodies;

namespace Strata.Serving.Tests.Serving;

/// <summary>
/// <c>models:/houses@champion</c> resolved through a registry over HTTP (a small Kestrel app answering the MLflow
/// registry and artifact-proxy calls the resolver makes), moved to another version while clients keep scoring.
/// </summary>
[Collection(ServingCollection.Name)]
public sealed class HotSwapTests(ServingFixture fixture)
{
    [Fact]
    public async Task Moving_the_alias_swaps_the_version_under_load_without_a_failed_request()
    {
        // Version 2 is a visibly different model, published through the artifact proxy (so it is downloaded).
        var v2Model = fixture.Models.Ml.Regression.Trainers.FastTree(numberOfLeaves: 4, numberOfTrees: 3, minimumExampleCountPerLeaf: 5)
            .Fit(fixture.Models.Ml.Transforms.Concatenate("Features", "Size", "Rooms", "Age").Fit(fixture.Models.Ml.Data.LoadFromEnumerable(fixture.Models.Houses))
                .Transform(fixture.Models.Ml.Data.LoadFromEnumerable(fixture.Models.Houses)));
        var pipeline = fixture.Models.Ml.Transforms.Concatenate("Features", "Size", "Rooms", "Age").Fit(fixture.Models.Ml.Data.LoadFromEnumerable(fixture.Models.Houses))
            .Append(v2Model);
        var artifactRoot = fixture.Models.NewPath("proxy");
        var v2Folder = Path.Combine(artifactRoot, "models", "v2");
        await MlnetFlavor.SaveAsync(v2Folder, fixture.Models.Ml, pipeline, fixture.Models.HouseSchema);
        using var v2Runtime = await new ModelRuntimeLoader().LoadAsync(v2Folder);
        var house = fixture.Models.Houses[0];
        var v1Price = fixture.ExpectedPrices(ServingFixture.Houses, 1)[0];
        var v2Price = ((ModelTensor<float>)v2Runtime.Predict(new ModelInput(
            ModelTensor.Column("Size", new[] { house.Size }), ModelTensor.Column("Rooms", new[] { house.Rooms }), ModelTensor.Column("Age", new[] { house.Age }))).Tensors[0]).Span[0];
        Assert.NotEqual(v1Price, v2Price);

        var champion = "1";
        var registry = WebApplication.CreateSlimBuilder();
        registry.Logging.ClearProviders();
        registry.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        await using var app = registry.Build();
        app.MapGet("/api/2.0/mlflow/registered-models/alias", (string name, string alias) =>
            name == "houses" && alias == "champion"
                ? Results.Json(new { model_version = new { name, version = Volatile.Read(ref champion) } })
                : Results.NotFound(new { error_code = "RESOURCE_DOES_NOT_EXIST", message = $"no alias {alias}" }));
        app.MapGet("/api/2.0/mlflow/model-versions/get-download-uri", (string name, string version) =>
            Results.Json(new { artifact_uri = version == "1" ? fixture.HousesPath : "mlflow-artifacts:/models/v2" }));
        app.MapGet("/api/2.0/mlflow-artifacts/artifacts", (string path) =>
        {
            var dir = Path.Combine(artifactRoot, path);
            var files = Directory.EnumerateFileSystemEntries(dir).Select(e => new
            {
                path = path + "/" + Path.GetFileName(e),
                is_dir = Directory.Exists(e),
                file_size = Directory.Exists(e) ? 0 : new FileInfo(e).Length,
            });
            return Results.Json(new { files });
        });
        app.MapGet("/api/2.0/mlflow-artifacts/artifacts/{**path}", (string path) => Results.File(Path.Combine(artifactRoot, path)));
        await app.StartAsync();

        var options = new ServingOptions
        {
            Models = [new ServeModelSpec("houses", "models:/houses@champion")],
            TrackingUri = app.ListeningAddresses().First(),
            PollInterval = TimeSpan.FromMilliseconds(100),
            Batching = new BatchingOptions { Enabled = true, MaxBatchSize = 16, MaxDelay = TimeSpan.FromMilliseconds(2) },
        };
        await using var host = await ServingTestHost.StartAsync(options);
        var (_, before) = await host.GetJsonAsync("/v2/models/houses");
        Assert.Equal("1", before.GetProperty("versions")[0].GetString());

        var failures = new ConcurrentBag<string>();
        var perWorker = Enumerable.Range(0, 4).Select(_ => new List<float>()).ToArray();
        using var stop = new CancellationTokenSource();
        var body = Split([house]);
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var (status, json, text) = await host.CallAsync("/invocations", body);
                if (status != 200)
                {
                    failures.Add($"{status} {text}");
                    continue;
                }

                perWorker[w].Add(Numbers(json.GetProperty("predictions"))[0]);
            }
        })).ToList();

        await Task.Delay(400);
        Volatile.Write(ref champion, "2");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var (_, now) = await host.GetJsonAsync("/v2/models/houses");
            if (now.GetProperty("versions")[0].GetString() == "2")
            {
                break;
            }

            await Task.Delay(50);
        }

        await Task.Delay(400);
        stop.Cancel();
        await Task.WhenAll(workers);

        Assert.Empty(failures);
        Assert.Contains(v1Price, perWorker.SelectMany(p => p));
        foreach (var seen in perWorker)
        {
            Assert.Equal(v2Price, seen[^1]);
            // A client's requests run one after another: once one was answered by the new version, every later one is
            // too (one atomic switch; nothing answered by the old version after it).
            var firstNew = seen.IndexOf(v2Price);
            Assert.All(seen[firstNew..], p => Assert.Equal(v2Price, p));
            Assert.All(seen, p => Assert.True(p == v1Price || p == v2Price, $"unexpected prediction {p}"));
        }
        Assert.True(File.Exists(Path.Combine(host.Directory, "cache", "houses", "2", "MLmodel")), "version 2 was not downloaded into the cache");
    }
}
