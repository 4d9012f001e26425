using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Retry;

namespace Strata.Client.Http;

/// <summary>
/// The retry strategy of every Strata HTTP call: jittered exponential backoff on 408/429/500/502/503/504
/// and on network failures, but only for requests marked safe to repeat (<see cref="MarkIdempotent"/>).
/// </summary>
/// <remarks>
/// Why a request may or may not be repeated: a retry happens when we do not know whether the first attempt
/// reached the database (connection reset after sending, a 503 from a proxy after the server committed).
/// Repeating is harmless when a second application leaves the same state and answers success:
/// <list type="bullet">
/// <item>every GET;</item>
/// <item>set-tag on runs, experiments, registered models and versions (upserts);</item>
/// <item>log-parameter (re-logging the same value is a no-op success), log-metric and log-batch (an exact duplicate
/// metric point is ignored by the server, params as above, tags upsert), log-inputs (idempotent by spec);</item>
/// <item>runs/update (it sets fields to given values), logged-model finalize/tags, alias set and alias delete
/// (deleting a missing alias succeeds), artifact PUT from a seekable stream (overwrites).</item>
/// </list>
/// Not repeated: creates (a second run or version, or RESOURCE_ALREADY_EXISTS), deletes whose second attempt
/// answers 404, rename, stage transitions with archiving, and uploads from non-seekable streams (the bytes are gone).
/// </remarks>
public static class StrataRetryPolicy
{
    private static readonly HttpRequestOptionsKey<bool> IdempotentKey = new("Strata.Idempotent");

    public static void MarkIdempotent(HttpRequestMessage request, bool idempotent = true) =>
        request.Options.Set(IdempotentKey, idempotent);

    public static bool IsIdempotent(HttpRequestMessage? request) =>
        request is not null && request.Options.TryGetValue(IdempotentKey, out var value) && value;

    public static HttpRetryStrategyOptions CreateOptions(StrataClientOptions options) => new()
    {
        MaxRetryAttempts = Math.Max(0, options.MaxRetryAttempts),
        Delay = options.RetryBaseDelay,
        MaxDelay = options.RetryMaxDelay,
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        ShouldRetryAfterHeader = true,
        ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Context.GetRequestMessage(), args.Outcome)),
    };

    /// <summary>The per-attempt timeout; transfers of artifact bodies (<see cref="MarkUnbounded"/>) get none.</summary>
    public static HttpTimeoutStrategyOptions CreateTimeoutOptions(StrataClientOptions options) => new()
    {
        TimeoutGenerator = args => ValueTask.FromResult(
            IsUnbounded(args.Context.GetRequestMessage()) ? Timeout.InfiniteTimeSpan : options.RequestTimeout),
    };

    /// <summary>Adds the retry (outer) and the per-attempt timeout (inner) to a pipeline.</summary>
    public static ResiliencePipelineBuilder<HttpResponseMessage> AddStrataStrategies(
        this ResiliencePipelineBuilder<HttpResponseMessage> builder, StrataClientOptions options)
    {
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(CreateOptions(options));
        }
        return builder.AddTimeout(CreateTimeoutOptions(options));
    }

    public static ResiliencePipeline<HttpResponseMessage> CreatePipeline(StrataClientOptions options) =>
        new ResiliencePipelineBuilder<HttpResponseMessage>().AddStrataStrategies(options).Build();

    private static readonly HttpRequestOptionsKey<bool> UnboundedKey = new("Strata.Unbounded");

    /// <summary>Marks a request whose body or response streams a file: no per-attempt timeout applies.</summary>
    public static void MarkUnbounded(HttpRequestMessage request) => request.Options.Set(UnboundedKey, true);

    private static bool IsUnbounded(HttpRequestMessage? request) =>
        request is not null && request.Options.TryGetValue(UnboundedKey, out var value) && value;

    internal static bool ShouldRetry(HttpRequestMessage? request, Outcome<HttpResponseMessage> outcome)
    {
        if (!IsIdempotent(request))
        {
            return false;
        }
        if (outcome.Exception is { } ex)
        {
            // A timeout of one attempt surfaces as TaskCanceledException wrapping a TimeoutException; a
            // cancellation by the caller must not be retried (Polly does not call us for it anyway).
            return ex is HttpRequestException or TimeoutException or IOException or Polly.Timeout.TimeoutRejectedException
                || ex is TaskCanceledException { InnerException: TimeoutException };
        }
        return outcome.Result is { } response && StrataApiException.IsTransientStatus(response.StatusCode);
    }

    internal static bool IsTransientStatus(HttpStatusCode status) => StrataApiException.IsTransientStatus(status);
}
