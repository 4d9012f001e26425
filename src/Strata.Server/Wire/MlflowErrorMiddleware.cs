using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strata.Core.Errors;

namespace Strata.Server.Wire;

/// <summary>
/// The one place errors become MLflow responses: <see cref="MlflowException"/> → its code and
/// status; unreadable requests → 400; an unmatched route → 404 ENDPOINT_NOT_FOUND; anything else
/// → 500 INTERNAL_ERROR without internals.
/// </summary>
public sealed partial class MlflowErrorMiddleware(RequestDelegate next, ILogger<MlflowErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
            var status = context.Response.StatusCode;
            if ((status is StatusCodes.Status404NotFound or StatusCodes.Status405MethodNotAllowed) && !context.Response.HasStarted && IsEmpty(context.Response))
            {
                // ENDPOINT_NOT_FOUND also for a wrong method: the client falls back from POST to GET on exactly that code.
                await WireErrors.WriteAsync(
                    context, ErrorCode.ENDPOINT_NOT_FOUND, $"No API endpoint {context.Request.Method} {context.Request.Path}", status).ConfigureAwait(false);
            }
        }
        catch (MlflowException ex) when (!context.Response.HasStarted)
        {
            LogClientError(logger, context.Request.Method, context.Request.Path, ex.Code, ex.Message);
            await WireErrors.WriteAsync(context, ex.Code, ex.Message).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            LogClientError(logger, context.Request.Method, context.Request.Path, ErrorCode.INVALID_PARAMETER_VALUE, ex.Message);
            var tooLarge = ex.StatusCode == StatusCodes.Status413PayloadTooLarge;
            await WireErrors.WriteAsync(
                context,
                ErrorCode.INVALID_PARAMETER_VALUE,
                tooLarge ? "Request body too large: it exceeds this endpoint's limit (see --max-request-body-size)." : $"Bad request: {ex.Message}",
                tooLarge ? StatusCodes.Status413PayloadTooLarge : null).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody is left to answer.
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            LogServerError(logger, ex, context.Request.Method, context.Request.Path);
            await WireErrors.WriteAsync(context, ErrorCode.INTERNAL_ERROR, "Internal server error. See the server log for details.").ConfigureAwait(false);
        }
    }

    // Routing's own 404/405 answers carry no body; an endpoint that chose 404 and wrote a body is left alone.
    private static bool IsEmpty(HttpResponse response) => (response.ContentLength is null or 0) && response.ContentType is null;

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} failed: {ErrorCode} {ErrorMessage}")]
    private static partial void LogClientError(ILogger logger, string method, PathString path, ErrorCode errorCode, string errorMessage);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed with an unexpected error")]
    private static partial void LogServerError(ILogger logger, Exception exception, string method, PathString path);
}
