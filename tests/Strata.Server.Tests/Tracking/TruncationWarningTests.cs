using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.Core.Tracking;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Tracking;

public sealed class TruncationWarningTests
{
    private sealed class CapturingProvider : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Entries.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }

    [Fact]
    public async Task Over_long_param_and_tag_values_are_truncated_with_a_warning()
    {
        var provider = new CapturingProvider();
        await using var server = await StrataTestServer.StartAsync(configureBuilder: b => b.Services.AddSingleton<ILoggerProvider>(provider));
        var experimentId = await server.CreateExperimentAsync();
        var runId = await server.CreateRunIdAsync(experimentId);

        (await server.PostAsync(TrackingClient.Api + "runs/log-batch", new
        {
            run_id = runId,
            @params = new[] { new { key = "long", value = new string('p', TrackingLimits.MaxParamValueLength + 5) }, new { key = "short", value = "ok" } },
            tags = new[] { new { key = "note", value = new string('t', TrackingLimits.MaxRunTagValueLength + 1) } },
        })).Ok();
        (await server.PostAsync(TrackingClient.Api + "runs/log-parameter", new { run_id = runId, key = "also-long", value = new string('q', TrackingLimits.MaxParamValueLength + 1) })).Ok();

        var data = (await server.GetRunAsync(runId)).GetProperty("data");
        Assert.Equal(TrackingLimits.MaxParamValueLength, data.List("params").Single(p => p.GetProperty("key").GetString() == "long").GetProperty("value").GetString()!.Length);
        Assert.Equal(TrackingLimits.MaxRunTagValueLength, data.List("tags").Single(t => t.GetProperty("key").GetString() == "note").GetProperty("value").GetString()!.Length);

        var warnings = provider.Entries.Where(e => e.Level == LogLevel.Warning && e.Message.StartsWith("Truncated", StringComparison.Ordinal)).Select(e => e.Message).ToList();
        Assert.Equal(3, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("param 'long'", StringComparison.Ordinal) && w.Contains(runId, StringComparison.Ordinal)
                                       && w.Contains($"from {TrackingLimits.MaxParamValueLength + 5} to {TrackingLimits.MaxParamValueLength}", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("tag 'note'", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("param 'also-long'", StringComparison.Ordinal));
        Assert.DoesNotContain(warnings, w => w.Contains("'short'", StringComparison.Ordinal));
    }
}
