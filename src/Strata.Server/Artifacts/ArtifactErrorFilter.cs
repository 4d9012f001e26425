using Microsoft.AspNetCore.Http;
using Strata.Core.Errors;
using Strata.Server.Wire;

namespace Strata.Server.Artifacts;

/// <summary>
/// Turns errors of the artifact endpoints into MLflow's error body, and the two states that are not
/// errors of the server (artifact serving switched off, a client that went away mid-transfer) into
/// their answers. The body and status table are the server's (<see cref="WireErrors"/>); the filter keeps
/// the artifact endpoints correct also when they are mapped without the server's error middleware.
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
            // A download may have set its headers (length, disposition) before the store failed.
            http.Response.Clear();
            return Error(e.Code, e.Message);
        }
        catch (BadHttpRequestException e) when (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
        {
            http.Response.Clear();
            return Error(ErrorCode.BAD_REQUEST, e.Message, e.StatusCode);
        }
        catch (Exception e) when (http.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException or BadHttpRequestException)
        {
            // The client went away; nobody is left to answer.
            return Results.Empty;
        }
    }

    public static IResult Error(ErrorCode code, string message, int? status = null) =>
        Results.Json(new ErrorJson(code.ToString(), message), ArtifactsJsonContext.Default.ErrorJson, statusCode: status ?? WireErrors.StatusFor(code));
}
