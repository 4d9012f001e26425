namespace Strata.Bench;

/// <summary>
/// The deterministic metric rows of the log-batch phase: batch <c>b</c> goes to run <c>b mod R</c> and holds
/// 10 keys × (size/10) consecutive steps. The SQLite ceiling replays exactly the same rows.
/// </summary>
internal sealed class MetricBatches(int batchSize, IReadOnlyList<string> runIds, long baseTimestamp)
{
    private const int KeysPerBatch = 10;
    private static readonly string[] Keys = [.. Enumerable.Range(0, KeysPerBatch).Select(i => $"train/metric_{i}")];

    public int BatchSize => batchSize;

    public string RunFor(int batch) => runIds[batch % runIds.Count];

    public void Fill(int batch, Span<MetricPoint> into)
    {
        var round = batch / runIds.Count;
        var stepsPerBatch = (batchSize + KeysPerBatch - 1) / KeysPerBatch;
        for (var j = 0; j < into.Length; j++)
        {
            var step = ((long)round * stepsPerBatch) + (j / KeysPerBatch);
            into[j] = new MetricPoint(Keys[j % KeysPerBatch], Unit(((ulong)batch << 20) ^ (ulong)j), baseTimestamp + step, step);
        }
    }

    /// <summary>A reproducible value in [0, 1) (splitmix64), so runs differ without a shared Random.</summary>
    public static double Unit(ulong seed)
    {
        var z = seed + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
