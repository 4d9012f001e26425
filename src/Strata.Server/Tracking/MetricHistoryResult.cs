using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Strata.Core.Tracking;
using Strata.Server.Wire;

namespace Strata.Server.Tracking;

/// <summary>
/// <c>metrics/get-history</c> written while the rows are read: each point goes straight from the
/// database reader into the response's JSON writer, flushed in chunks, instead of a page of
/// <see cref="Metric"/>s being built first. The bytes are those of the buffered form:
/// <c>{"metrics":[...],"next_page_token":"..."}</c>, the array omitted when empty.
/// </summary>
internal sealed class MetricHistoryResult(TrackingService service, MetricHistoryRequest request) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var ct = httpContext.RequestAborted;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        var pipe = response.BodyWriter;

        // Not disposed when the read fails: Dispose flushes, and half an object must not reach the pipe ahead
        // of the error body. Validation and the run check throw before the first point, so before any flush.
        var writer = new Utf8JsonWriter(pipe, WireResults.WriterOptions);
        writer.WriteStartObject();
        var sink = new Sink(writer, pipe, JsonEncodedText.Encode(request.MetricKey ?? "", WireResults.WriterOptions.Encoder));
        var next = await service.ReadMetricHistoryAsync(request, sink, ct).ConfigureAwait(false);
        if (sink.Started)
        {
            writer.WriteEndArray();
        }

        TrackingJson.WriteNextPageToken(writer, next);
        writer.WriteEndObject();
        writer.Flush();
        await writer.DisposeAsync().ConfigureAwait(false);
        await pipe.FlushAsync(ct).ConfigureAwait(false);
    }

    private sealed class Sink(Utf8JsonWriter writer, PipeWriter pipe, JsonEncodedText key) : IMetricHistorySink
    {
        // ~250 points: large enough that flushing costs little per point, small enough that a 100k-point
        // read never holds more than this in memory.
        private const int FlushBytes = 32 * 1024;

        public bool Started { get; private set; }

        public ValueTask WriteAsync(in MetricHistoryPoint point, CancellationToken ct)
        {
            if (!Started)
            {
                writer.WriteStartArray("metrics"u8);
                Started = true;
            }

            TrackingJson.WriteMetricPoint(writer, key, point);

            // Counted from the writer's totals, not BytesPending alone: over a PipeWriter the writer commits
            // each full segment itself, so its pending count never reaches the threshold.
            return writer.BytesCommitted + writer.BytesPending - _flushedAt >= FlushBytes ? FlushAsync(ct) : ValueTask.CompletedTask;
        }

        private long _flushedAt;

        private async ValueTask FlushAsync(CancellationToken ct)
        {
            writer.Flush();
            _flushedAt = writer.BytesCommitted;
            await pipe.FlushAsync(ct).ConfigureAwait(false);
        }
    }
}
