using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.Core.Tracking;

namespace Strata.Server.Tracking;

/// <summary>
/// <c>metrics/get-history</c> written while the blocks are decoded: each point goes from the store's reader straight into
/// the response body through <see cref="MetricHistoryJsonWriter"/>, flushed in chunks, instead of a page of
/// <see cref="Metric"/>s being built first. The bytes are those of the buffered form:
/// <c>{"metrics":[...],"next_page_token":"..."}</c>, the array omitted when empty.
/// </summary>
/// <remarks>
/// At Debug level (category <c>Strata.Server.Tracking.MetricHistoryResult</c>) each read logs its point count and the
/// server's time from the handler's start (before the query is parsed) to the last body byte flushed. A streamed body
/// has sent its headers long before that, so no response header can carry it (and Kestrel sends no trailers over
/// HTTP/1.1); benchmarks read this line to tell the server's time from the client's JSON decoding.
/// </remarks>
internal sealed partial class MetricHistoryResult(TrackingService service, MetricHistoryRequest request, long startedTimestamp) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var ct = httpContext.RequestAborted;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        // Validation, the token and the run check throw before the first point, while the pipe is still empty: an error
        // body is never preceded by half an object.
        var sink = new Sink(new MetricHistoryJsonWriter(response.BodyWriter, request.MetricKey ?? ""), response);
        var next = await service.ReadMetricHistoryAsync(request, sink, ct).ConfigureAwait(false);
        sink.Writer.WriteEnd(next);
        await response.BodyWriter.FlushAsync(ct).ConfigureAwait(false);
        var logger = httpContext.RequestServices.GetRequiredService<ILogger<MetricHistoryResult>>();
        if (logger.IsEnabled(LogLevel.Debug))
        {
            LogRead(logger, sink.Writer.Count, Stopwatch.GetElapsedTime(startedTimestamp).TotalMilliseconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "metrics/get-history: {Points} points, server time {ElapsedMs:0.000} ms (handler start to last byte flushed)")]
    private static partial void LogRead(ILogger logger, long points, double elapsedMs);

    private sealed class Sink(MetricHistoryJsonWriter writer, HttpResponse response) : IMetricHistorySink
    {
        // ~4,000 points. Each flush hands the bytes to Kestrel's socket loop on another thread; at 32 KB a 25,000-point
        // page took ~47 such hand-offs and the context switches cost more than the JSON (fast-client reads of 100,000
        // points, server time 62-65 ms -> 42-48 ms). A read still never holds more than this in memory.
        private const int FlushBytes = 256 * 1024;

        public MetricHistoryJsonWriter Writer => writer;

        public ValueTask WriteAsync(in MetricHistoryPoint point, CancellationToken ct)
        {
            writer.WritePoint(point);
            return writer.Unflushed >= FlushBytes ? FlushAsync(ct) : ValueTask.CompletedTask;
        }

        private async ValueTask FlushAsync(CancellationToken ct)
        {
            writer.Commit();
            writer.MarkFlushed();
            await response.BodyWriter.FlushAsync(ct).ConfigureAwait(false);
        }
    }
}
