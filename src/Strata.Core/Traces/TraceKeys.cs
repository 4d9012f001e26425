namespace Strata.Core.Traces;

/// <summary>The reserved tag and metadata keys MLflow's tracing reads and writes.</summary>
public static class TraceKeys
{
    /// <summary>Tag: the URI of the directory holding the trace's <c>traces.json</c>.</summary>
    public const string ArtifactLocation = "mlflow.artifactLocation";

    /// <summary>Tag: the trace's name (what <c>name</c> in a search means).</summary>
    public const string TraceName = "mlflow.traceName";

    /// <summary>Metadata: the run that produced the trace (what <c>run_id</c> in a search means).</summary>
    public const string SourceRun = "mlflow.sourceRun";

    /// <summary>The span data file in the trace's artifact directory.</summary>
    public const string SpansFile = "traces.json";

    /// <summary>Most trace ids a LinkTracesToRun request may carry (MLflow's limit).</summary>
    public const int MaxTracesPerLink = 100;

    /// <summary>Most traces one search page returns (MLflow's SEARCH_MAX_RESULTS_THRESHOLD for traces).</summary>
    public const int MaxSearchResults = 500;

    public const int DefaultSearchResults = 100;
}
