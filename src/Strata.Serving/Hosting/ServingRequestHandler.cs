using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strata.Core.Errors;
using Strata.Serving.PredictionLog;
using Strata.Serving.Protocols;
using Strata.Storage.Serving;

namespace Strata.Serving.Hosting;

/// <summary>
/// The request path of a prediction, for both protocols: lease the route's current version, read the body, parse it
/// into the model's input buffers, predict (directly or through the micro-batcher), write the response, then count,
/// time and (if sampled) queue a log entry without waiting for it. Client mistakes and errors raised inside the model
/// are 400s, never 500s.
/// </summary>
public sealed partial class ServingRequestHandler(
    ServingMetrics metrics, TimeProvider time, ILogger<ServingRequestHandler> logger, PredictionLogQueue? log = null, TimeSpan? requestTimeout = null)
{
    /// <summary>MLflow's answer, word for word, when a request outlives the scoring server's timeout.</summary>
    public const string TimeoutMessage = "Request processing time exceeded limit";

    private readonly TimeSpan _timeout = requestTimeout ?? ServingOptions.DefaultRequestTimeout;

    public const string InvocationsProtocol = "mlflow";

    /// <summary>Every prediction answer names the version that gave it.</summary>
    public const string ModelVersionHeader = "x-strata-model-version";
    public const string V2Protocol = "v2";

    private const string ModelErrorMessage =
        "Encountered an unexpected error while evaluating the model. Verify that the serialized input Dataframe is compatible with the model for inference.";

    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    public ServingMetrics Metrics => metrics;

    /// <summary>The request time limit when a deployment sets none.</summary>
    public TimeSpan DefaultTimeout => _timeout;

    /// <summary>The prediction log queue, when predictions are logged.</summary>
    public PredictionLogQueue? Log => log;

    public TimeProvider Time => time;

    /// <summary><c>POST /invocations</c>.</summary>
    public Task InvocationsAsync(HttpContext context, ModelRoute route) => HandleAsync(context, route, null, InvocationsProtocol);

    /// <summary><c>POST /v2/models/{name}[/versions/{version}]/infer</c>.</summary>
    public Task InferAsync(HttpContext context, ModelRoute route, string? version) => HandleAsync(context, route, version, V2Protocol);

    private async Task HandleAsync(HttpContext context, ModelRoute route, string? version, string protocol)
    {
        var started = Stopwatch.GetTimestamp();
        var model = route.Acquire();
        if (model is null)
        {
            await WriteUnavailableAsync(context, route, protocol).ConfigureAwait(false);
            return;
        }

        _ = await ServeAsync(context, model, route.Name, version, protocol, started, _timeout, null, 0, null, null).ConfigureAwait(false);
    }

    /// <summary>
    /// Serves one request on <paramref name="model"/>, whose lease the caller took and this releases once the model is
    /// done with the request. <paramref name="body"/> is the request body when the caller already read it (it stays
    /// the caller's); null reads it here. <paramref name="sampleRate"/> overrides the log's sampling;
    /// <paramref name="bodyRead"/> sees the body once read, before the model runs. Returns the status.
    /// </summary>
    internal async Task<int> ServeAsync(
        HttpContext context, ServedModel model, string routeName, string? version, string protocol, long started, TimeSpan timeout,
        byte[]? preRead, int preReadLength, double? sampleRate, Action<byte[], int>? bodyRead)
    {
        byte[]? body = preRead;
        var bodyLength = preReadLength;
        var response = new ArrayBufferWriter<byte>(256);
        int status;
        string? error = null;
        // One deadline for reading the body, waiting for a batch and predicting: the client sees 504 instead of a hang.
        using var deadline = new RequestDeadline(started, timeout, context.RequestAborted);
        try
        {
            if (version is not null && version != model.Version)
            {
                throw new MlflowException(ErrorCode.RESOURCE_DOES_NOT_EXIST,
                    $"Model '{routeName}' version '{version}' is not loaded; this server serves version '{model.Version}'.");
            }

            if (body is null)
            {
                (body, bodyLength) = await ReadBodyAsync(context.Request.BodyReader, deadline).ConfigureAwait(false);
            }

            bodyRead?.Invoke(body, bodyLength);

            await PredictIntoAsync(model, body.AsMemory(0, bodyLength), context.Request.ContentType, protocol, deadline, response).ConfigureAwait(false);
            // Batching off, the model runs inline on this thread and cannot be interrupted; a prediction that finished
            // past the deadline is still answered as timed out, so the limit means the same with batching on or off.
            deadline.ThrowIfExpired();
            status = StatusCodes.Status200OK;
        }
        catch (UnsupportedMediaTypeException e)
        {
            status = StatusCodes.Status415UnsupportedMediaType;
            error = e.Message;
            response.ResetWrittenCount();
            Encoding.UTF8.GetBytes(e.Message, response);
        }
        catch (BadHttpRequestException e)
        {
            // The request itself broke off or was malformed (a body shorter than its Content-Length, say): the
            // client's doing, not the model's, so it is neither logged as a model failure nor answered as one.
            status = context.RequestAborted.IsCancellationRequested ? 499 : e.StatusCode;
            error = e.Message;
            WriteError(response, protocol, ErrorCode.BAD_REQUEST, e.Message, null);
        }
        catch (MlflowException e)
        {
            status = StatusFor(e.Code);
            error = e.Message;
            WriteError(response, protocol, e.Code, e.Message, null);
        }
        catch (Runtimes.ModelFailedException e)
        {
            // The model raised inside its Python worker: MLflow's body, with the model's own traceback.
            status = StatusFor(e.Code);
            error = e.Message;
            WriteError(response, protocol, e.Code, e.Message, e.ModelStackTrace);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            status = 499;
            error = "The client closed the request.";
        }
        catch (OperationCanceledException) when (deadline.Expired)
        {
            status = StatusCodes.Status504GatewayTimeout;
            error = TimeoutMessage;
            response.ResetWrittenCount();
            if (protocol == V2Protocol)
            {
                WriteError(response, protocol, ErrorCode.DEADLINE_EXCEEDED, TimeoutMessage, null);
            }
            else
            {
                Encoding.UTF8.GetBytes(TimeoutMessage, response);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever the model itself throws is the input's fault as far as the client can tell (MLflow's rule).
            status = StatusCodes.Status400BadRequest;
            error = $"{ModelErrorMessage} {e.GetType().Name}: {e.Message}";
            LogModelError(logger, e, model.Name, model.Version);
            WriteError(response, protocol, ErrorCode.BAD_REQUEST, error, e.ToString());
        }
        finally
        {
            ModelRoute.Release(model);
        }

        try
        {
            if (status != 499)
            {
                var http = context.Response;
                http.StatusCode = status;
                http.Headers[ModelVersionHeader] = model.Version;
                http.ContentType = IsPlainText(status, protocol, error) ? "text/plain; charset=utf-8" : "application/json";
                http.ContentLength = response.WrittenCount;
                await http.Body.WriteAsync(response.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
            }
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            model.Metrics.Latency.Observe(elapsed.TotalSeconds);
            model.Metrics.CountRequest(protocol, status);
            if (logger.IsEnabled(LogLevel.Debug))
            {
                LogRequest(logger, protocol, model.Name, model.Version, status, elapsed.TotalMilliseconds, RequestId(context));
            }

            if (log is not null && (sampleRate is { } rate ? log.Enabled && (rate >= 1 || (rate > 0 && Random.Shared.NextDouble() < rate)) : log.ShouldSample()))
            {
                log.TryEnqueue(new PredictionLogRecord(
                    RequestId(context),
                    model.Name,
                    model.Version,
                    time.GetUtcNow().ToUnixTimeMilliseconds(),
                    (long)elapsed.TotalMicroseconds,
                    status,
                    protocol,
                    body is null ? null : Encoding.UTF8.GetString(body, 0, bodyLength),
                    status == StatusCodes.Status200OK ? Encoding.UTF8.GetString(response.WrittenSpan) : null,
                    error));
            }

            if (body is not null && preRead is null)
            {
                ArrayPool<byte>.Shared.Return(body);
            }
        }

        return status;
    }

    /// <summary>
    /// Parses <paramref name="body"/> into the model's input buffers, predicts (directly or through the micro-batcher)
    /// and writes the protocol's answer to <paramref name="response"/>. Shared by the HTTP path and the shadow mirror.
    /// </summary>
    internal static async ValueTask PredictIntoAsync(
        ServedModel model, ReadOnlyMemory<byte> body, string? contentType, string protocol, RequestDeadline deadline, IBufferWriter<byte> response)
    {
        using var writer = new Utf8JsonWriter(response, WriterOptions);
        if (protocol == V2Protocol)
        {
            var request = V2InferenceRequest.Parse(body.Span, model.Layout);
            var output = await PredictAsync(model, request.Input, deadline).ConfigureAwait(false);
            V2Writer.WriteInferenceResponse(writer, model.Name, model.Version, request.Id, output, request.RequestedOutputs);
        }
        else
        {
            // request.Params is checked against signature.params (a wrong type is the same 400 mlflow models serve
            // gives). Runtimes whose models read params (Python models, code models) get them with the signature's
            // defaults for the rest, as MLflow's pyfunc predict does; the native flavors have none to read.
            var request = InvocationParser.Parse(body.Span, contentType, model.Layout, model.Runtime.Model.Signature?.Params);
            var input = model.Runtime.TakesParams
                ? InferenceParams.Attach(request.Input, request.Params, model.Runtime.Model.Signature?.Params)
                : request.Input;
            var output = await PredictAsync(model, input, deadline).ConfigureAwait(false);
            PredictionsWriter.Write(writer, output, request.IsTable);
        }

        writer.Flush();
    }

    /// <summary>
    /// 415s (both protocols) and the scoring protocol's request timeout are plain text, as MLflow answers them; a 504
    /// raised by the model's runtime (a Python worker past its own timeout) carries MLflow's JSON error body.
    /// </summary>
    private static bool IsPlainText(int status, string protocol, string? error) =>
        status == StatusCodes.Status415UnsupportedMediaType
        || (status == StatusCodes.Status504GatewayTimeout && protocol == InvocationsProtocol && error == TimeoutMessage);

    /// <summary>Inline prediction needs no token (nothing can interrupt it); a micro-batch waits with the deadline's.</summary>
    internal static ValueTask<Core.Models.ModelOutput> PredictAsync(ServedModel model, Core.Models.ModelInput input, RequestDeadline deadline) =>
        model.Predictor.PredictAsync(input, model.Predictor.Waits ? deadline.Token : CancellationToken.None);

    internal static string RequestId(HttpContext context) =>
        context.Request.Headers.TryGetValue("X-Request-ID", out var id) && id.Count > 0 && !string.IsNullOrEmpty(id[0])
            ? id[0]!
            : context.TraceIdentifier;

    /// <summary>The whole body in a pooled array (return it to <see cref="ArrayPool{T}.Shared"/>).</summary>
    internal static ValueTask<(byte[] Buffer, int Length)> ReadBodyAsync(PipeReader reader, RequestDeadline deadline)
    {
        // A small body has usually arrived with the headers: then no token (and no timer) is needed to read it.
        if (reader.TryRead(out var result))
        {
            if (result.IsCompleted)
            {
                return ValueTask.FromResult(TakeBody(reader, result.Buffer));
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }

        return ReadRestAsync(reader, deadline.Token);
    }

    private static async ValueTask<(byte[] Buffer, int Length)> ReadRestAsync(PipeReader reader, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct).ConfigureAwait(false);
            if (result.IsCompleted)
            {
                return TakeBody(reader, result.Buffer);
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static (byte[] Buffer, int Length) TakeBody(PipeReader reader, ReadOnlySequence<byte> buffer)
    {
        var length = checked((int)buffer.Length);
        var array = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        buffer.CopyTo(array);
        reader.AdvanceTo(buffer.End);
        return (array, length);
    }

    internal static void WriteError(ArrayBufferWriter<byte> response, string protocol, ErrorCode code, string message, string? stackTrace)
    {
        response.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(response);
        if (protocol == V2Protocol)
        {
            V2Writer.WriteError(writer, message);
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("error_code"u8, code.ToString());
        writer.WriteString("message"u8, message);
        if (stackTrace is not null)
        {
            writer.WriteString("stack_trace"u8, stackTrace);
        }

        writer.WriteEndObject();
    }

    private static async Task WriteUnavailableAsync(HttpContext context, ModelRoute route, string protocol)
    {
        var response = new ArrayBufferWriter<byte>(128);
        WriteError(response, protocol, ErrorCode.TEMPORARILY_UNAVAILABLE, $"Model '{route.Name}' is not loaded yet.", null);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(response.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    internal static int StatusFor(ErrorCode code) => code switch
    {
        ErrorCode.RESOURCE_DOES_NOT_EXIST or ErrorCode.NOT_FOUND or ErrorCode.ENDPOINT_NOT_FOUND => StatusCodes.Status404NotFound,
        ErrorCode.TEMPORARILY_UNAVAILABLE => StatusCodes.Status503ServiceUnavailable,
        ErrorCode.DEADLINE_EXCEEDED => StatusCodes.Status504GatewayTimeout,
        ErrorCode.INTERNAL_ERROR => StatusCodes.Status500InternalServerError,
        _ => StatusCodes.Status400BadRequest,
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Protocol} prediction {ModelName}/{ModelVersion} -> {StatusCode} in {ElapsedMs:0.000} ms (request {RequestId})")]
    private static partial void LogRequest(ILogger logger, string protocol, string modelName, string modelVersion, int statusCode, double elapsedMs, string requestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {ModelName} version {ModelVersion} failed on a request")]
    private static partial void LogModelError(ILogger logger, Exception exception, string modelName, string modelVersion);
}
