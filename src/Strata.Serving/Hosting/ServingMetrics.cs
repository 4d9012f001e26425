using System.Collections.Concurrent;
using Prometheus;
using Strata.Serving.PredictionLog;

namespace Strata.Serving.Hosting;

/// <summary>
/// The serving instruments, in a registry of their own (no process-wide state): requests by model, version, protocol
/// and status; request latency and model-call batch size histograms; prediction log queue depth, writes and drops.
/// </summary>
public sealed class ServingMetrics
{
    private readonly Counter _requests;
    private readonly Histogram _latency;
    private readonly Histogram _batchSize;
    private readonly ConcurrentDictionary<(string Name, string Version), ModelMetrics> _models = new();

    public ServingMetrics(PredictionLogQueue? logQueue = null)
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        _requests = factory.CreateCounter("strata_serving_requests_total", "Prediction requests by model, version, protocol and status code.",
            new CounterConfiguration { LabelNames = ["model", "version", "protocol", "status"] });
        _latency = factory.CreateHistogram("strata_serving_request_duration_seconds", "Time from request start to response, by model and version.",
            new HistogramConfiguration
            {
                LabelNames = ["model", "version"],
                Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16),
            });
        _batchSize = factory.CreateHistogram("strata_serving_batch_size", "Rows per model call, by model and version.",
            new HistogramConfiguration
            {
                LabelNames = ["model", "version"],
                Buckets = Histogram.ExponentialBuckets(1, 2, 10),
            });
        if (logQueue is not null)
        {
            var depth = factory.CreateGauge("strata_serving_prediction_log_queue_depth", "Prediction log entries waiting to be written.");
            var dropped = factory.CreateCounter("strata_serving_prediction_log_dropped_total", "Prediction log entries dropped because the queue was full.");
            var enqueued = factory.CreateCounter("strata_serving_prediction_log_enqueued_total", "Prediction log entries queued for writing.");
            Registry.AddBeforeCollectCallback(() =>
            {
                depth.Set(logQueue.Depth);
                dropped.IncTo(logQueue.Dropped);
                enqueued.IncTo(logQueue.Enqueued);
            });
        }
    }

    public CollectorRegistry Registry { get; }

    /// <summary>The instruments of one model version, with label children cached so the hot path does no lookups.</summary>
    public ModelMetrics For(string name, string version) =>
        _models.GetOrAdd((name, version), key => new ModelMetrics(this, key.Name, key.Version));

    /// <summary>Writes every instrument in Prometheus text format.</summary>
    public Task WriteAsync(Stream stream, CancellationToken ct) => Registry.CollectAndExportAsTextAsync(stream, ct);

    public sealed class ModelMetrics
    {
        private readonly ServingMetrics _owner;
        private readonly string _name;
        private readonly string _version;
        private readonly ConcurrentDictionary<(string Protocol, int Status), Counter.Child> _requests = new();

        internal ModelMetrics(ServingMetrics owner, string name, string version)
        {
            _owner = owner;
            _name = name;
            _version = version;
            Latency = owner._latency.WithLabels(name, version);
            BatchSize = owner._batchSize.WithLabels(name, version);
        }

        public Histogram.Child Latency { get; }

        public Histogram.Child BatchSize { get; }

        public void CountRequest(string protocol, int status) =>
            _requests.GetOrAdd((protocol, status), key => _owner._requests.WithLabels(
                _name, _version, key.Protocol, key.Status.ToString(System.Globalization.CultureInfo.InvariantCulture))).Inc();
    }
}
