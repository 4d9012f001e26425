using System.Diagnostics;
using System.Globalization;
using Strata.Serving.Models;
using Strata.Serving.Runtimes;

namespace Strata.Bench.Serving;

/// <summary>Model load time per flavor: folder to ready runtime (what a route swap waits for), median of several loads.</summary>
internal static class LoadTimes
{
    public static async Task PrintAsync(BenchModels models, int loads = 7)
    {
        var loader = new ModelRuntimeLoader();
        Console.WriteLine($"model load time (folder -> ready runtime, median of {loads}; the first load of each flavor, with JIT, in brackets):");
        foreach (var (name, path) in new[] { ("mlnet", models.MlnetPath), ("onnx", models.OnnxPath), ("code (wraps mlnet)", models.CodePath) })
        {
            var times = new List<double>();
            for (var i = 0; i < loads + 1; i++)
            {
                var watch = Stopwatch.StartNew();
                var runtime = await loader.LoadAsync(path);
                watch.Stop();
                times.Add(watch.Elapsed.TotalMilliseconds);
                runtime.Dispose();
            }

            var median = times.Skip(1).Order().ElementAt(loads / 2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: {median:0.0} ms ({times[0]:0.0} ms)"));
        }

        // The unload that follows a hot swap: the code model's load context is collected once the runtime is disposed.
        var context = await LoadAndDisposeAsync(loader, models.CodePath);
        var collections = 0;
        while (context.IsAlive && collections < 20)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            collections++;
        }

        Console.WriteLine($"  code model load context unloaded after dispose: {!context.IsAlive} ({collections} collection(s))");
        Console.WriteLine();
        PrintPredictCost(loader, models);
    }

    /// <summary>
    /// In-process cost of one Predict call, code model against the ML.NET model it wraps, interleaved in blocks so
    /// load from elsewhere hits both alike: the code flavor's own overhead without HTTP in the way.
    /// </summary>
    private static void PrintPredictCost(ModelRuntimeLoader loader, BenchModels models)
    {
        using var mlnet = loader.LoadAsync(models.MlnetPath).GetAwaiter().GetResult();
        using var code = loader.LoadAsync(models.CodePath).GetAwaiter().GetResult();
        Console.WriteLine("in-process Predict, µs per call (median of 21 interleaved blocks):");
        foreach (var rows in new[] { 1, 64 })
        {
            var input = new Strata.Core.Models.ModelInput(
                Strata.Core.Models.ModelTensor.Column("Size", Enumerable.Repeat(120.5f, rows).ToArray()),
                Strata.Core.Models.ModelTensor.Column("Rooms", Enumerable.Repeat(3f, rows).ToArray()),
                Strata.Core.Models.ModelTensor.Column("Age", Enumerable.Repeat(12f, rows).ToArray()));
            var iterations = rows == 1 ? 20_000 : 1_000;
            var mlnetTimes = new List<double>();
            var codeTimes = new List<double>();
            for (var block = 0; block < 22; block++)
            {
                foreach (var (runtime, times) in new[] { (mlnet, mlnetTimes), (code, codeTimes) })
                {
                    var watch = Stopwatch.StartNew();
                    for (var i = 0; i < iterations; i++)
                    {
                        runtime.Predict(input);
                    }

                    if (block > 0)
                    {
                        times.Add(watch.Elapsed.TotalMicroseconds / iterations);
                    }
                }
            }

            var m = mlnetTimes.Order().ElementAt(10);
            var c = codeTimes.Order().ElementAt(10);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {rows} row(s): mlnet {m:0.00}, code (wraps mlnet) {c:0.00}, code overhead {c - m:0.00} µs a call ({m / c:0.00} of mlnet's calls per second)"));
        }

        Console.WriteLine();
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> LoadAndDisposeAsync(ModelRuntimeLoader loader, string path)
    {
        using var code = (CodeModelRuntime)await loader.LoadAsync(path);
        return code.LoadContext;
    }
}
