using Microsoft.AspNetCore.Http;
using Strata.Core.Errors;

namespace Strata.Server.Artifacts;

/// <summary>
/// Turns errors of the artifact endpoints into MLflow's error body, and the two states that are not
/// errors of the server (artifact serving switched off, a client that went away mid-transfer) into
/// their answers. The server's own error middleware produces the same body for MlflowException; this
/// filter keeps the artifact endpoints correct when they are mapped on their own.
/// </summary>
internal sealed class ArtifactErrorFilter(bool serveArtifacts) : IEndpointFilter
{
    public const string DisabledMessage = "Artifact serving is disabled on this server (--no-serve-artifacts): {0}";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!serveArtifacts)
        {
            return Results.Text(string.Format(System.Globalization.CultureInfo.InvariantCulture, DisabledMessage, http.Request.Path.Value), "text/plain", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        try
        {
            return await next(context);
        }
        catch (MlflowException e) when (!http.Response.HasStarted)
        {
            return Error(e.Code, e.Message);
        }
        catch (BadHttpRequestException e) when (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
        {
            return Error(ErrorCode.BAD_REQUEST, e.Message, e.StatusCode);
        }
        catch (Exception e) when (http.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException or BadHttpRequestException)
        {
            // The client went away; nobody is left to answer.
            return Results.Empty;
        }
    }

    public static IResult Error(ErrorCode code, string message, int? status = null) =>
        Results.Json(new ErrorJson(code.ToString(), message), ArtifactsJsonContext.Default.ErrorJson, statusCode: status ?? StatusFor(code));

    /// <summary>MLflow's error-code-to-status table (mlflow-rest.md §3).</summary>
    public static int StatusFor(ErrorCode code) => code switch
    {
        ErrorCode.INVALID_PARAMETER_VALUE or ErrorCode.BAD_REQUEST or ErrorCode.RESOURCE_ALREADY_EXISTS => 400,
        ErrorCode.CUSTOMER_UNAUTHORIZED or ErrorCode.UNAUTHENTICATED => 401,
        ErrorCode.PERMISSION_DENIED => 403,
        ErrorCode.RESOURCE_DOES_NOT_EXIST or ErrorCode.ENDPOINT_NOT_FOUND or ErrorCode.NOT_FOUND => 404,
        ErrorCode.ABORTED or ErrorCode.ALREADY_EXISTS or ErrorCode.RESOURCE_CONFLICT => 409,
        ErrorCode.REQUEST_LIMIT_EXCEEDED or ErrorCode.RESOURCE_EXHAUSTED => 429,
        ErrorCode.CANCELLED => 499,
        ErrorCode.NOT_IMPLEMENTED => 501,
        ErrorCode.TEMPORARILY_UNAVAILABLE => 503,
        ErrorCode.DEADLINE_EXCEEDED => 504,
        _ => 500,
    };
}
