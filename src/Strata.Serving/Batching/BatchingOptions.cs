namespace Strata.Serving.Batching;

/// <summary>Adaptive micro-batching settings (flags <c>--enable-batching --max-batch-size --max-batch-delay-ms</c>).</summary>
public sealed record BatchingOptions
{
    public bool Enabled { get; init; }

    /// <summary>Most rows one model call takes.</summary>
    public int MaxBatchSize { get; init; } = 64;

    /// <summary>Longest a request waits for others to join its batch.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(2);

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
