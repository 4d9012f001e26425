using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Strata.Core.Errors;

namespace Strata.Server.Wire;

/// <summary>MLflow's error body <c>{error_code, message}</c> and its code → HTTP status table (spec §3).</summary>
public static class WireErrors
{
    private static readonly Dictionary<string, string> EmptyHeaders = [];

    public static int StatusFor(ErrorCode code) => code switch
    {
        ErrorCode.INVALID_PARAMETER_VALUE or ErrorCode.BAD_REQUEST or ErrorCode.RESOURCE_ALREADY_EXISTS => StatusCodes.Status400BadRequest,
        ErrorCode.CUSTOMER_UNAUTHORIZED or ErrorCode.UNAUTHENTICATED => StatusCodes.Status401Unauthorized,
        ErrorCode.PERMISSION_DENIED => StatusCodes.Status403Forbidden,
        ErrorCode.RESOURCE_DOES_NOT_EXIST or ErrorCode.ENDPOINT_NOT_FOUND or ErrorCode.NOT_FOUND => StatusCodes.Status404NotFound,
        ErrorCode.ABORTED or ErrorCode.ALREADY_EXISTS or ErrorCode.RESOURCE_CONFLICT => StatusCodes.Status409Conflict,
        ErrorCode.REQUEST_LIMIT_EXCEEDED or ErrorCode.RESOURCE_EXHAUSTED => StatusCodes.Status429TooManyRequests,
        ErrorCode.CANCELLED => 499,
        ErrorCode.NOT_IMPLEMENTED => StatusCodes.Status501NotImplemented,
        ErrorCode.TEMPORARILY_UNAVAILABLE => StatusCodes.Status503ServiceUnavailable,
        ErrorCode.DEADLINE_EXCEEDED => StatusCodes.Status504GatewayTimeout,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>Writes the error body with the status of <paramref name="code"/>, replacing anything not yet sent.</summary>
    public static async Task WriteAsync(HttpContext context, ErrorCode code, string message, int? status = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        var response = context.Response;
        response.Clear();
        foreach (var (name, value) in headers ?? EmptyHeaders)
        {
            response.Headers[name] = value;
        }

        response.StatusCode = status ?? StatusFor(code);
        response.ContentType = "application/json";
        await using (var writer = new Utf8JsonWriter(response.BodyWriter, WireResults.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("error_code"u8, code.ToString());
            writer.WriteString("message"u8, message);
            writer.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
