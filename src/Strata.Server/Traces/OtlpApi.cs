using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Core.Errors;
using Strata.Core.Traces;

namespace Strata.Server.Traces;

/// <summary>
/// OTLP/HTTP trace ingest at <c>POST /v1/traces</c> (what an OpenTelemetry exporter and MLflow 3's span logging
/// send), protobuf or JSON, into the experiment named by the <c>x-mlflow-experiment-id</c> header.
/// </summary>
public static class OtlpApi
{
    public const string Path = "/v1/traces";
    public const string ExperimentHeader = "x-mlflow-experiment-id";

    /// <summary>OTLP bodies are bounded like other requests; exporters batch well below this.</summary>
    private const int MaxBodyBytes = 64 * 1024 * 1024;

    public static RouteHandlerBuilder MapOtlpApi(this IEndpointRouteBuilder app) =>
        app.MapPost(Path, ExportAsync).WithTags("Traces").WithMetadata(Security.LargeRequestBody.Instance);

    private static async Task<IResult> ExportAsync(HttpContext ctx, TraceService service)
    {
        var contentType = ctx.Request.ContentType ?? "";
        var isJson = contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase);
        if (!isJson && !contentType.StartsWith("application/x-protobuf", StringComparison.OrdinalIgnoreCase))
        {
            throw MlflowException.InvalidParameter($"Invalid Content-Type '{contentType}': expected application/x-protobuf or application/json.");
        }

        var body = await ReadBodyAsync(ctx.Request, ctx.RequestAborted);
        var decoded = isJson ? OtlpTraceDecoder.DecodeJson(body) : OtlpTraceDecoder.DecodeProtobuf(body);
        var spans = decoded.Select(s => s.ToTraceSpan()).ToList();
        if (spans.Count > 0)
        {
            await service.LogSpansAsync(ctx.Request.Headers[ExperimentHeader].ToString(), spans, ctx.RequestAborted);
        }

        // ExportTraceServiceResponse with no partial_success: an empty message.
        return isJson ? Results.Text("{}", "application/json") : Results.Bytes([], "application/x-protobuf");
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            throw MlflowException.InvalidParameter($"The request body is too large: more than {MaxBodyBytes} bytes.");
        }

        // OTLP exporters may compress their bodies (OTEL_EXPORTER_OTLP_COMPRESSION=gzip).
        var gzip = string.Equals(request.Headers.ContentEncoding.ToString(), "gzip", StringComparison.OrdinalIgnoreCase);
        await using var decompressor = gzip ? new System.IO.Compression.GZipStream(request.Body, System.IO.Compression.CompressionMode.Decompress, leaveOpen: true) : null;
        var source = (Stream?)decompressor ?? request.Body;
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await ReadAsync(source, chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw MlflowException.InvalidParameter($"The request body is too large: more than {MaxBodyBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static async Task<int> ReadAsync(Stream source, byte[] chunk, CancellationToken ct)
    {
        try
        {
            return await source.ReadAsync(chunk, ct);
        }
        catch (InvalidDataException ex)
        {
            throw MlflowException.InvalidParameter($"The gzip-encoded request body is corrupt: {ex.Message}");
        }
    }
}
