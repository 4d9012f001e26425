using System.Diagnostics;
using Strata.Bench.Registry;

// Registry benchmark: 1,000 models x 20 versions, then search-model-versions and get-by-alias latencies.
// Usage: dotnet run -c Release --project bench/Strata.Bench.Registry [-- --server http://127.0.0.1:PORT/] [--models N] [--versions N]
var server = Arg("--server");
var models = int.Parse(Arg("--models") ?? "1000", System.Globalization.CultureInfo.InvariantCulture);
var versions = int.Parse(Arg("--versions") ?? "20", System.Globalization.CultureInfo.InvariantCulture);
const int Iterations = 1000;

await using IRegistryTarget target = server is null ? await StoreTarget.CreateAsync() : new HttpTarget(new Uri(server));
Console.WriteLine($"target: {target.Description}; {models} models x {versions} versions");

var load = Stopwatch.StartNew();
await Parallel.ForEachAsync(Enumerable.Range(0, models), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (m, _) =>
{
    var name = $"model-{m:D4}";
    await target.CreateModelAsync(name);
    for (var v = 1; v <= versions; v++)
    {
        await target.CreateVersionAsync(name, $"s3://bench/{name}/{v}", $"run{m % 97:D2}{v:D2}");
    }

    await target.SetAliasAsync(name, "champion", 1 + (m % versions));
});
load.Stop();
var writes = models * (versions + 2);
Console.WriteLine($"load: {writes} writes in {load.Elapsed.TotalSeconds:F1} s ({writes / load.Elapsed.TotalSeconds:F0} writes/s)");

var random = new Random(42);
string RandomModel() => $"model-{random.Next(models):D4}";

await Report("search-model-versions name='<model>' (20 rows)", i => target.SearchVersionsAsync($"name='{RandomModel()}'", 1000));
await Report("search-model-versions run_id='<id>' (~10 rows)", i => target.SearchVersionsAsync($"run_id='run{random.Next(97):D2}{1 + random.Next(versions):D2}'", 1000));
await Report("search-model-versions no filter, first 100", i => target.SearchVersionsAsync(null, 100));
await Report("get-model-version-by-alias", async i => { await target.GetByAliasAsync(RandomModel(), "champion"); return 1; });
return 0;

async Task Report(string name, Func<int, Task<int>> call)
{
    Console.Write($"[sample call returned {await call(0)} rows] ");
    var (p50, p99, mean) = await LatencyRecorder.MeasureAsync(Iterations, call);
    Console.WriteLine($"{name,-52} p50 {p50,7:F3} ms   p99 {p99,7:F3} ms   mean {mean,7:F3} ms   (n={Iterations})");
}

string? Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
