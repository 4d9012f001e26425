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
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> LoadAndDisposeAsync(ModelRuntimeLoader loader, string path)
    {
        using var code = (CodeModelRuntime)await loader.LoadAsync(path);
        return code.LoadContext;
    }
}
