namespace Strata.Core.Errors;

/// <summary>
/// The one exception type that carries an MLflow error code. The server maps it to
/// <c>{error_code, message}</c> and the HTTP status of the spec's table.
/// </summary>
public sealed class MlflowException(ErrorCode code, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public ErrorCode Code { get; } = code;

    public static MlflowException InvalidParameter(string message) => new(ErrorCode.INVALID_PARAMETER_VALUE, message);

    public static MlflowException NotFound(string message) => new(ErrorCode.RESOURCE_DOES_NOT_EXIST, message);

    public static MlflowException AlreadyExists(string message) => new(ErrorCode.RESOURCE_ALREADY_EXISTS, message);

    public static MlflowException MissingParameter(string field) =>
        InvalidParameter($"Missing value for required parameter '{field}'. See the API docs for more information about request parameters.");
}
