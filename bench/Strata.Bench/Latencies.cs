using System.Diagnostics;

namespace Strata.Bench;

/// <summary>Per-request latencies collected by concurrent workers; percentiles by nearest rank.</summary>
internal sealed class Latencies
{
    private readonly Lock _gate = new();
    private readonly List<long> _ticks = [];

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _ticks.Count;
            }
        }
    }

    public void Add(long elapsedTicks)
    {
        lock (_gate)
        {
            _ticks.Add(elapsedTicks);
        }
    }

    public TimeSpan Percentile(double p)
    {
        lock (_gate)
        {
            if (_ticks.Count == 0)
            {
                return TimeSpan.Zero;
            }
            _ticks.Sort();
            var rank = (int)Math.Ceiling(p / 100 * _ticks.Count) - 1;
            return Stopwatch.GetElapsedTime(0, _ticks[Math.Clamp(rank, 0, _ticks.Count - 1)]);
        }
    }
}

internal static class Workers
{
    /// <summary>
    /// Runs <paramref name="total"/> operations over <paramref name="connections"/> concurrent workers (each
    /// one request at a time, so one HTTP connection each), timing every operation. Returns the wall time.
    /// The operation gets its index and the number of the worker running it (to pick that worker's server).
    /// </summary>
    public static async Task<TimeSpan> RunAsync(int connections, int total, Func<int, int, CancellationToken, Task> operation, Latencies? latencies, CancellationToken ct)
    {
        var next = -1;
        var start = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, Math.Min(connections, Math.Max(total, 1))).Select(worker => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < total)
            {
                var t0 = Stopwatch.GetTimestamp();
                await operation(index, worker, ct);
                latencies?.Add(Stopwatch.GetTimestamp() - t0);
            }
        }, ct)).ToArray();
        await Task.WhenAll(workers);
        return Stopwatch.GetElapsedTime(start);
    }
}
