namespace Strata.Serving.PredictionLog;

/// <summary>How predictions are logged: sampled fraction, queue capacity and insert batch size.</summary>
public sealed record PredictionLogOptions
{
    /// <summary>Off when the serving process has no backend store.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Fraction of requests logged, 0 to 1 (<c>--log-sample-rate</c>).</summary>
    public double SampleRate { get; init; } = 1.0;

    /// <summary>Entries waiting for the writer; beyond this new entries are dropped and counted, never waited for.</summary>
    public int QueueCapacity { get; init; } = 20_000;

    /// <summary>Most rows the writer puts in one transaction.</summary>
    public int WriteBatchSize { get; init; } = 1000;

    /// <summary>
    /// How long the writer waits after a batch that was not full before taking the next, so entries gather into few
    /// large transactions. A writer that went straight back to the queue stayed busy on one entry at a time, taking
    /// most of a core from the requests it logs (each transaction's fixed cost paid again and again). Zero writes
    /// whatever is queued as soon as the previous write ends.
    /// </summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    public void Validate()
    {
        if (SampleRate is < 0 or > 1 || double.IsNaN(SampleRate))
        {
            throw new ArgumentOutOfRangeException(nameof(SampleRate), SampleRate, "--log-sample-rate must be between 0 and 1.");
        }

        if (QueueCapacity < 1 || WriteBatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(QueueCapacity), "The prediction log queue capacity and batch size must be at least 1.");
        }

        if (FlushInterval < TimeSpan.Zero || FlushInterval > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentOutOfRangeException(nameof(FlushInterval), FlushInterval, "The prediction log flush interval must be between 0 and 10 seconds.");
        }
    }
}
