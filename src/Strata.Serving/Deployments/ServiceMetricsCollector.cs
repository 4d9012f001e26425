using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.Core.Deployments;

namespace Strata.Serving.Deployments;

/// <summary>The CPU time and allocation of one request, measured by whoever ran it.</summary>
public readonly record struct MeasuredCost(long CpuMicroseconds, long AllocatedBytes);

/// <summary>
/// Aggregates this process's deployment traffic per (deployment, model version, shadow, minute) in memory and flushes
/// one row per minute and per hour to the store every few seconds. Each flush rewrites this replica's rows with its
/// running totals, so a flush is idempotent, replicas never write the same row, and a restarted process (a new replica
/// id) adds rows beside the old ones: reads merge them all.
/// <para>
/// CPU time and allocated bytes are measured for the whole process between flushes
/// (<see cref="Environment.CpuUsage"/>, <see cref="GC.GetTotalAllocatedBytes"/>) and attributed to the buckets that
/// served requests in that interval in proportion to their requests' busy time (summed latency). Per-request counters
/// cannot do better: an async request hops threads, and a micro-batch runs many requests' rows on the batcher's thread,
/// so a thread's CPU clock around one request measures the wrong work; reading it per request would also cost a system
/// call each. The process totals are exact, cost two cheap reads per flush, and include what serving really costs
/// (Kestrel, JSON, GC, the prediction log writer). In <c>strata server</c> they also include the tracking API's work
/// during the interval, so there the figure is an upper bound. The shadow is the exception: it runs on dedicated
/// low-priority threads, where the thread's own CPU clock measures each call exactly (and busy time would not: a
/// starved low-priority thread's wall time is mostly waiting), so its cost is recorded as measured and taken out
/// of the process total before the rest is shared.
/// </para>
/// </summary>
public sealed partial class ServiceMetricsCollector : BackgroundService
{
    private static readonly TimeSpan KeepInMemory = TimeSpan.FromHours(2);

    private readonly ConcurrentDictionary<SeriesKey, Series> _series = new();
    private readonly IServiceMetricsStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _flushInterval;
    private readonly ILogger<ServiceMetricsCollector> _logger;
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private TimeSpan _lastCpu;
    private long _lastAllocated;

    public ServiceMetricsCollector(IServiceMetricsStore store, TimeProvider time, TimeSpan flushInterval, ILogger<ServiceMetricsCollector> logger, string? replicaId = null)
    {
        _store = store;
        _time = time;
        _flushInterval = flushInterval;
        _logger = logger;
        ReplicaId = replicaId ?? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";
        _lastCpu = Environment.CpuUsage.TotalTime;
        _lastAllocated = GC.GetTotalAllocatedBytes();
    }

    /// <summary>This process's name in the stored rows.</summary>
    public string ReplicaId { get; }

    /// <summary>
    /// Counts one answered request (or one shadow answer). <paramref name="cost"/> is its CPU time and allocation when the
    /// caller measured them itself (the shadow, on threads of its own); the process's remaining CPU and allocation are
    /// shared among the unmeasured requests by busy time at each flush.
    /// </summary>
    public void Record(string deployment, string modelName, string modelVersion, bool shadow, bool error, long elapsedMicroseconds, MeasuredCost? cost = null)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var series = _series.GetOrAdd(new SeriesKey(deployment, modelName, modelVersion, shadow), static _ => new Series());
        series.Add(ServiceMetricsMerge.BucketStart(now, MetricsResolution.Minute), error, Math.Max(0, elapsedMicroseconds), cost);
    }

    /// <summary>Writes every bucket that changed since the last flush (minute and hour rows).</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        await _flushing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var cpu = Environment.CpuUsage.TotalTime;
            var allocated = GC.GetTotalAllocatedBytes();
            var cpuDelta = (long)(cpu - _lastCpu).TotalMicroseconds;
            var allocDelta = allocated - _lastAllocated;
            _lastCpu = cpu;
            _lastAllocated = allocated;

            // What was measured directly is taken out before the rest is shared by busy time.
            var measured = _series.Values.Aggregate((Cpu: 0L, Allocated: 0L), (sum, s) => s.TakeMeasured(sum));
            cpuDelta = Math.Max(0, cpuDelta - measured.Cpu);
            allocDelta = Math.Max(0, allocDelta - measured.Allocated);
            var busyTotal = _series.Values.Sum(s => s.BusySinceFlush);
            var rows = new List<ServiceMetricsRow>();
            var evictBefore = ServiceMetricsMerge.BucketStart(
                _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)KeepInMemory.TotalMilliseconds, MetricsResolution.Hour);
            foreach (var (key, series) in _series)
            {
                series.Collect(key, ReplicaId, cpuDelta, allocDelta, busyTotal, evictBefore, rows);
            }

            if (rows.Count > 0)
            {
                await _store.UpsertAsync(rows, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_flushInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await FlushAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The totals stay in memory; the next flush writes them.
                    LogFlushFailed(_logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogFlushFailed(_logger, e);
        }
    }

    public override void Dispose()
    {
        _flushing.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write service metrics; keeping them for the next flush")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);

    private readonly record struct SeriesKey(string Deployment, string ModelName, string ModelVersion, bool Shadow);

    private sealed class Bucket
    {
        public long Requests;
        public long Errors;
        public long LatencySum;
        public double Cpu;
        public double Allocated;
        public long BusySinceFlush;
        public bool Dirty;
        public readonly LatencySketch Latency = new();
    }

    /// <summary>One series' minute buckets; a lock per series keeps the hot path to one uncontended lock.</summary>
    private sealed class Series
    {
        private readonly Lock _lock = new();
        private readonly SortedDictionary<long, Bucket> _minutes = new();
        private long _lastMinute = long.MinValue;
        private Bucket? _last;
        private long _busySinceFlush;
        private long _measuredCpu;
        private long _measuredAllocated;

        /// <summary>Adds the directly measured cost since the last flush to <paramref name="sum"/> and resets it.</summary>
        public (long Cpu, long Allocated) TakeMeasured((long Cpu, long Allocated) sum)
        {
            lock (_lock)
            {
                var result = (sum.Cpu + _measuredCpu, sum.Allocated + _measuredAllocated);
                _measuredCpu = 0;
                _measuredAllocated = 0;
                return result;
            }
        }

        public long BusySinceFlush
        {
            get
            {
                lock (_lock)
                {
                    return _busySinceFlush;
                }
            }
        }

        public void Add(long minute, bool error, long micros, MeasuredCost? cost)
        {
            lock (_lock)
            {
                if (minute != _lastMinute || _last is null)
                {
                    if (!_minutes.TryGetValue(minute, out _last))
                    {
                        _last = new Bucket();
                        _minutes[minute] = _last;
                    }

                    _lastMinute = minute;
                }

                var b = _last;
                b.Requests++;
                b.Errors += error ? 1 : 0;
                b.LatencySum += micros;
                b.Latency.Add(micros);
                b.Dirty = true;
                if (cost is { } measured)
                {
                    b.Cpu += measured.CpuMicroseconds;
                    b.Allocated += measured.AllocatedBytes;
                    _measuredCpu += measured.CpuMicroseconds;
                    _measuredAllocated += measured.AllocatedBytes;
                }
                else
                {
                    b.BusySinceFlush += micros;
                    _busySinceFlush += micros;
                }
            }
        }

        public void Collect(SeriesKey key, string replica, long cpuDelta, long allocDelta, long busyTotal, long evictBefore, List<ServiceMetricsRow> rows)
        {
            lock (_lock)
            {
                var dirtyHours = new SortedSet<long>();
                foreach (var (minute, b) in _minutes)
                {
                    if (b.BusySinceFlush > 0 && busyTotal > 0)
                    {
                        var share = (double)b.BusySinceFlush / busyTotal;
                        b.Cpu += cpuDelta * share;
                        b.Allocated += allocDelta * share;
                    }

                    b.BusySinceFlush = 0;
                    if (!b.Dirty)
                    {
                        continue;
                    }

                    b.Dirty = false;
                    dirtyHours.Add(ServiceMetricsMerge.BucketStart(minute, MetricsResolution.Hour));
                    rows.Add(Row(key, replica, MetricsResolution.Minute, minute, [b]));
                }

                _busySinceFlush = 0;
                foreach (var hour in dirtyHours)
                {
                    var minutes = _minutes.Where(m => m.Key >= hour && m.Key < hour + 3_600_000).Select(m => m.Value).ToList();
                    rows.Add(Row(key, replica, MetricsResolution.Hour, hour, minutes));
                }

                foreach (var old in _minutes.Keys.Where(m => m < evictBefore).ToList())
                {
                    _minutes.Remove(old);
                    _last = null;
                }
            }
        }

        private static ServiceMetricsRow Row(SeriesKey key, string replica, MetricsResolution resolution, long start, IReadOnlyList<Bucket> buckets)
        {
            var sketch = new LatencySketch();
            long requests = 0, errors = 0, latency = 0;
            double cpu = 0, alloc = 0;
            foreach (var b in buckets)
            {
                sketch.Merge(b.Latency);
                requests += b.Requests;
                errors += b.Errors;
                latency += b.LatencySum;
                cpu += b.Cpu;
                alloc += b.Allocated;
            }

            return new ServiceMetricsRow(key.Deployment, key.ModelName, key.ModelVersion, key.Shadow, resolution, start, replica,
                requests, errors, latency, (long)cpu, (long)alloc, sketch);
        }
    }
}
