namespace Strata.Serving.Protocols;

/// <summary>The request's Content-Type cannot be scored; answered with 415 and a text/plain message, as MLflow does.</summary>
public sealed class UnsupportedMediaTypeException(string message) : Exception(message);
