namespace Strata.Serving.Python;

/// <summary>
/// How models are served through MLflow's <c>python_function</c> flavor (flags <c>--python --workers --env-manager
/// --use-python-worker</c>): which interpreter runs the worker processes, how many there are, and how long they may take.
/// </summary>
public sealed record PythonWorkerOptions
{
    /// <summary>The only environment manager Strata runs: the model runs in the interpreter <see cref="Python"/> names.</summary>
    public const string LocalEnvManager = "local";

    /// <summary>The interpreter the workers run under (a path, or a name looked up on PATH).</summary>
    public string Python { get; init; } = "python3";

    /// <summary>Worker processes per loaded model version; each scores one call (a request or a micro-batch) at a time.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>MLflow's <c>--env-manager</c>; only <c>local</c> is supported.</summary>
    public string EnvManager { get; init; } = LocalEnvManager;

    /// <summary>Serve through <c>python_function</c> even when the model also has a flavor Strata runs natively (mlnet, onnx).</summary>
    public bool PreferPythonFunction { get; init; }

    /// <summary>How long a worker may take to start and load the model.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long one call may run before its worker is killed and replaced (its requests then fail with 5xx).
    /// Null: the serving request timeout, as MLflow's scoring server kills a worker that outlives it.
    /// </summary>
    public TimeSpan? CallTimeout { get; init; }

    /// <summary>How often idle workers are pinged; one that does not answer within the same time is replaced.</summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(10);

    public void Validate()
    {
        if (!string.Equals(EnvManager, LocalEnvManager, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"--env-manager {EnvManager} is not supported: Strata runs python_function models in the interpreter --python names"
                + " (MLflow's --env-manager local). Build a virtualenv or conda environment from the model's requirements.txt or"
                + " conda.yaml yourself and pass its interpreter with --python.");
        }

        if (Workers < 1 || Workers > 256)
        {
            throw new ArgumentException($"--workers must be between 1 and 256, got {Workers}.");
        }

        if (string.IsNullOrWhiteSpace(Python))
        {
            throw new ArgumentException("--python must name a Python interpreter.");
        }

        if (StartTimeout <= TimeSpan.Zero || CallTimeout is { } call && call <= TimeSpan.Zero || HealthCheckInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("Python worker timeouts must be positive.");
        }
    }
}
