using Strata.Serving.Runtimes;

namespace Strata.Serving.Batching;

/// <summary>
/// Adaptive micro-batching settings (flags <c>--enable-batching --max-batch-size --max-batch-delay-ms</c>). Left unset,
/// batching and the batch size follow the model's runtime (<see cref="For"/>).
/// </summary>
public sealed record BatchingOptions
{
    /// <summary>Most rows in one call of a model run in process (ML.NET, ONNX, code models) when none is set.</summary>
    public const int DefaultMaxBatchSize = 64;

    /// <summary>Most rows in one call of a Python worker when none is set: a call's fixed cost (the pipe round trip, a
    /// pandas DataFrame, the model's own per-call work) is paid once for all of them, so several 64-row requests share one.</summary>
    public const int DefaultOutOfProcessMaxBatchSize = 512;

    /// <summary>
    /// Whether concurrent requests are joined into one model call. Unset: on for models scored out of process (Python
    /// workers), where each call's fixed cost dominates, and off for models run in process, where a call costs little
    /// more than its rows. Batching is adaptive either way: a request that is alone does not wait.
    /// </summary>
    public bool? Enabled { get; init; }

    /// <summary>Most rows one model call takes (unset: <see cref="DefaultMaxBatchSize"/>, or <see cref="DefaultOutOfProcessMaxBatchSize"/> for Python workers).</summary>
    public int? MaxBatchSize { get; init; }

    /// <summary>Longest a request waits for others to join its batch.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>The rows one call takes once resolved (<see cref="For"/>).</summary>
    internal int RowLimit => MaxBatchSize ?? DefaultMaxBatchSize;

    /// <summary>These settings for <paramref name="runtime"/>, with what was left unset filled in by its kind.</summary>
    public BatchingOptions For(IModelRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        var outOfProcess = runtime is IAsyncModelRuntime;
        return this with
        {
            Enabled = Enabled ?? outOfProcess,
            MaxBatchSize = MaxBatchSize ?? (outOfProcess ? DefaultOutOfProcessMaxBatchSize : DefaultMaxBatchSize),
        };
    }

    public void Validate()
    {
        if (MaxBatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "--max-batch-size must be at least 1.");
        }

        if (MaxDelay < TimeSpan.Zero || MaxDelay > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, "--max-batch-delay-ms must be between 0 and 10000.");
        }
    }
}
