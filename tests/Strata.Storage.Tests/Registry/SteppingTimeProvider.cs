namespace Strata.Storage.Tests.Registry;

/// <summary>Each read of the clock is one millisecond later, so update-time orders are deterministic.</summary>
internal sealed class SteppingTimeProvider(long startMs = 1_700_000_000_000) : TimeProvider
{
    private long _now = startMs;

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Increment(ref _now));
}
