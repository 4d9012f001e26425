using System.Diagnostics;

namespace Strata.Bench.Registry;

/// <summary>Times repeated calls and reports p50/p99 in milliseconds.</summary>
internal static class LatencyRecorder
{
    public static async Task<(double P50, double P99, double Mean)> MeasureAsync(int iterations, Func<int, Task> call)
    {
        // Warm-up: JIT, connection pools, SQLite page cache.
        for (var i = 0; i < Math.Min(50, iterations); i++)
        {
            await call(i);
        }

        var samples = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await call(i);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(samples);
        return (samples[(int)(iterations * 0.50)], samples[Math.Min(iterations - 1, (int)(iterations * 0.99))], samples.Average());
    }
}
