using Strata.Core.Errors;

namespace Strata.Serving.Runtimes;

/// <summary>
/// The model itself raised while scoring (in a Python worker): answered with MLflow's error body, the model's own
/// stack trace included, as <c>mlflow models serve</c> answers it.
/// </summary>
public sealed class ModelFailedException(ErrorCode code, string message, string? modelStackTrace) : Exception(message)
{
    public ErrorCode Code { get; } = code;

    /// <summary>The traceback the model's runtime reported.</summary>
    public string? ModelStackTrace { get; } = modelStackTrace;
}
