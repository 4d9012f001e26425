using System.Diagnostics;
using System.Text.Json;

namespace Strata.Client.Tracing;

/// <summary>
/// A span of an MLflow trace: an <see cref="Activity"/> of <see cref="StrataTracing.Source"/> with MLflow's span
/// attributes. Dispose (or <see cref="End"/>) ends it; spans started while it is current nest under it.
/// </summary>
public sealed class StrataSpan : IDisposable
{
    internal const string SpanTypeKey = "mlflow.spanType";
    internal const string InputsKey = "mlflow.spanInputs";
    internal const string OutputsKey = "mlflow.spanOutputs";

    /// <summary>Non-ASCII text stays as written (MLflow's client writes span data with ensure_ascii=False).</summary>
    internal static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    internal StrataSpan(Activity activity) => Activity = activity;

    /// <summary>The underlying activity (null-safe wrappers below); other instrumentation sees it as the current span.</summary>
    public Activity Activity { get; }

    /// <summary><c>tr-</c> and the 32 hex digits of the W3C trace id: the MLflow trace id this span belongs to.</summary>
    public string TraceId => "tr-" + Activity.TraceId.ToHexString();

    public StrataSpan SetInputs(object? inputs) => SetJson(InputsKey, inputs);

    public StrataSpan SetOutputs(object? outputs) => SetJson(OutputsKey, outputs);

    /// <summary>An attribute; its value is kept as JSON, as MLflow does.</summary>
    public StrataSpan SetAttribute(string key, object? value)
    {
        Activity.SetTag(key, value);
        return this;
    }

    /// <summary>Marks the span failed and records the exception as an event, as OpenTelemetry does.</summary>
    public StrataSpan RecordException(Exception exception)
    {
        Activity.SetStatus(ActivityStatusCode.Error, exception.Message);
        Activity.AddEvent(new ActivityEvent("exception", tags: new ActivityTagsCollection
        {
            ["exception.type"] = exception.GetType().FullName,
            ["exception.message"] = exception.Message,
            ["exception.stacktrace"] = exception.ToString(),
        }));
        return this;
    }

    public StrataSpan SetStatus(ActivityStatusCode status, string? description = null)
    {
        Activity.SetStatus(status, description);
        return this;
    }

    public void End() => Activity.Stop();

    public void Dispose() => Activity.Dispose();

    private StrataSpan SetJson(string key, object? value)
    {
        // Stored as JSON text in a custom property: a tag would be serialized a second time on export.
        Activity.SetCustomProperty(key, JsonSerializer.Serialize(value, JsonOptions));
        return this;
    }
}
