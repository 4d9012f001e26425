namespace Strata.Client.Tests.Support;

public static class TestOptions
{
    /// <summary>Options with short delays so retry tests take milliseconds, not seconds.</summary>
    public static StrataClientOptions Fast(Uri uri, Action<StrataClientOptions>? configure = null)
    {
        var o = new StrataClientOptions
        {
            TrackingUri = uri,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            RetryMaxDelay = TimeSpan.FromMilliseconds(50),
            MetricRetryMaxDelay = TimeSpan.FromMilliseconds(100),
            MetricFlushTimeout = TimeSpan.FromSeconds(30),
            RequestTimeout = TimeSpan.FromSeconds(10),
            UserId = "tester",
        };
        configure?.Invoke(o);
        return o;
    }
}
