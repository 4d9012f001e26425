using System.Net;
using Strata.Core.Errors;

namespace Strata.Client;

/// <summary>
/// Every error the server answers with: its MLflow <see cref="ErrorCode"/> (read from <c>error_code</c>, or
/// derived from the HTTP status when the body is not MLflow's error JSON), the HTTP status and the message.
/// </summary>
public sealed class StrataApiException(ErrorCode errorCode, HttpStatusCode statusCode, string message, string? rawErrorCode = null)
    : Exception(message)
{
    public ErrorCode ErrorCode { get; } = errorCode;

    public HttpStatusCode StatusCode { get; } = statusCode;

    /// <summary>The <c>error_code</c> string exactly as sent; differs from <see cref="ErrorCode"/> when the name is unknown to Strata.</summary>
    public string? RawErrorCode { get; } = rawErrorCode;

    /// <summary>The code MLflow's own client derives from a status when the body carries none.</summary>
    public static ErrorCode CodeForStatus(HttpStatusCode status) => (int)status switch
    {
        400 => ErrorCode.BAD_REQUEST,
        401 => ErrorCode.UNAUTHENTICATED,
        403 => ErrorCode.PERMISSION_DENIED,
        404 => ErrorCode.ENDPOINT_NOT_FOUND,
        408 => ErrorCode.DEADLINE_EXCEEDED,
        409 => ErrorCode.RESOURCE_CONFLICT,
        429 => ErrorCode.REQUEST_LIMIT_EXCEEDED,
        499 => ErrorCode.CANCELLED,
        501 => ErrorCode.NOT_IMPLEMENTED,
        503 => ErrorCode.TEMPORARILY_UNAVAILABLE,
        504 => ErrorCode.DEADLINE_EXCEEDED,
        _ => ErrorCode.INTERNAL_ERROR,
    };

    /// <summary>True for the statuses worth trying again: throttling and server-side failures.</summary>
    public bool IsTransient => IsTransientStatus(StatusCode);

    internal static bool IsTransientStatus(HttpStatusCode status) =>
        (int)status is 408 or 429 or 500 or 502 or 503 or 504;
}
