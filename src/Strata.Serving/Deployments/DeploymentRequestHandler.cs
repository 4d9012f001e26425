using System.Buffers;
using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Strata.Core.Deployments;
using Strata.Core.Errors;
using Strata.Serving.Hosting;

namespace Strata.Serving.Deployments;

/// <summary>
/// The request path of a deployment: find its route, take the sticky key (a header, or an input column of the first
/// row), choose and lease a version, then serve it through <see cref="ServingRequestHandler"/> (same parsing,
/// batching, timeout, prediction log and <c>x-strata-model-version</c> header as any served model), count the answer in
/// the service metrics and hand a copy of the body to the shadow without waiting for it.
/// </summary>
public sealed class DeploymentRequestHandler(
    DeploymentRouteTable routes, ServingRequestHandler serving, ServiceMetricsCollector metrics, ShadowMirror shadow)
{
    /// <summary><c>POST /deployments/{name}/invocations</c>.</summary>
    public Task InvocationsAsync(HttpContext context, string name) => HandleAsync(context, name, null, ServingRequestHandler.InvocationsProtocol);

    /// <summary><c>POST /deployments/{name}/v2/models/{name}[/versions/{version}]/infer</c>; a version pins one leg of the route.</summary>
    public Task InferAsync(HttpContext context, string name, string? version) => HandleAsync(context, name, version, ServingRequestHandler.V2Protocol);

    private async Task HandleAsync(HttpContext context, string name, string? pin, string protocol)
    {
        var started = Stopwatch.GetTimestamp();
        var router = routes.Find(name);
        if (router is null)
        {
            await WriteErrorAsync(context, protocol, ErrorCode.RESOURCE_DOES_NOT_EXIST, $"Deployment '{name}' is not served here.").ConfigureAwait(false);
            return;
        }

        var snapshot = router.Current;
        if (snapshot is null)
        {
            await WriteErrorAsync(context, protocol, ErrorCode.TEMPORARILY_UNAVAILABLE, $"Deployment '{name}' is not loaded yet.").ConfigureAwait(false);
            return;
        }

        byte[]? body = null;
        var length = 0;
        try
        {
            string? key = null;
            if (snapshot.StickyKey is { Source: StickyKeySource.Header } header)
            {
                key = context.Request.Headers.TryGetValue(header.Name, out var values) && values.Count > 0 ? values[0] : null;
            }
            else if (snapshot.StickyKey is { Source: StickyKeySource.Column } column)
            {
                // The column sits in the body, so it is read before a version is chosen.
                using var deadline = new RequestDeadline(started, snapshot.Timeout, context.RequestAborted);
                try
                {
                    (body, length) = await ServingRequestHandler.ReadBodyAsync(context.Request.BodyReader, deadline).ConfigureAwait(false);
                }
                catch (BadHttpRequestException e)
                {
                    await WriteErrorAsync(context, protocol, ErrorCode.BAD_REQUEST, e.Message).ConfigureAwait(false);
                    return;
                }
                catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
                {
                    return;
                }
                catch (OperationCanceledException) when (deadline.Expired)
                {
                    await WriteErrorAsync(context, protocol, ErrorCode.DEADLINE_EXCEEDED, ServingRequestHandler.TimeoutMessage).ConfigureAwait(false);
                    return;
                }

                key = StickyKeyReader.FromColumn(body.AsSpan(0, length), context.Request.ContentType, column.Name);
            }

            var lease = router.Acquire(key, pin);
            if (lease is null)
            {
                await WriteErrorAsync(context, protocol, ErrorCode.TEMPORARILY_UNAVAILABLE, $"Deployment '{name}' is not loaded yet.").ConfigureAwait(false);
                return;
            }

            var (current, target) = lease.Value;
            if (target is null)
            {
                await WriteErrorAsync(context, protocol, ErrorCode.RESOURCE_DOES_NOT_EXIST,
                    $"Deployment '{name}' routes to no version '{pin}'; its route serves {string.Join(", ", current.Targets.Select(t => t.Model.Name + "/" + t.Model.Version))}.").ConfigureAwait(false);
                return;
            }

            var model = target.Model;
            Action<byte[], int>? mirror = current.Shadow is null
                ? null
                : (b, n) => shadow.TryMirror(router, b.AsSpan(0, n), context.Request.ContentType, protocol, ServingRequestHandler.RequestId(context));
            var status = await serving.ServeAsync(
                context, model, name, null, protocol, started, current.Timeout, body, length, current.LogSampleRate, mirror).ConfigureAwait(false);
            metrics.Record(name, model.Name, model.Version, shadow: false, status >= 400, (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        }
        finally
        {
            if (body is not null)
            {
                ArrayPool<byte>.Shared.Return(body);
            }
        }
    }

    private static async Task WriteErrorAsync(HttpContext context, string protocol, ErrorCode code, string message)
    {
        var response = new ArrayBufferWriter<byte>(128);
        ServingRequestHandler.WriteError(response, protocol, code, message, null);
        context.Response.StatusCode = ServingRequestHandler.StatusFor(code);
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(response.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }
}
