namespace Strata.Client.Tracing;

/// <summary>How <see cref="StrataTracing"/> records spans and where it logs traces.</summary>
public sealed class StrataTracingOptions
{
    /// <summary>The experiment traces are logged to (MLflow's <c>mlflow.set_experiment</c>).</summary>
    public string ExperimentId { get; set; } = "0";

    /// <summary>
    /// Further <see cref="System.Diagnostics.ActivitySource"/> names whose spans join a trace when they start inside
    /// one (e.g. <c>System.Net.Http</c>, <c>Microsoft.SemanticKernel*</c>; a trailing <c>*</c> matches a prefix).
    /// Their activities outside a Strata trace are not recorded.
    /// </summary>
    public IList<string> Sources { get; } = ["System.Net.Http"];

    /// <summary>Most finished traces waiting to be exported; beyond it new traces are dropped and counted.</summary>
    public int MaxQueuedTraces { get; set; } = 10_000;

    /// <summary>Longest request/response preview kept in the trace info (MLflow truncates likewise).</summary>
    public int MaxPreviewLength { get; set; } = 1000;
}
