using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Strata.Core.Errors;
using Strata.Serving.Models;
using Strata.Serving.Protocols;
using Strata.Storage.Serving;

namespace Strata.Serving.Hosting;

/// <summary>
/// The serving endpoints: MLflow's scoring protocol per route, the Open Inference Protocol v2 over every route,
/// Prometheus metrics and the prediction log query. Handlers are plain request delegates (no binding on the hot path).
/// </summary>
public static class ServingEndpoints
{
    /// <summary>The MLflow version <c>/version</c> reports: the scoring protocol Strata speaks.</summary>
    public const string ProtocolVersion = ModelSaveOptions.DefaultMlflowVersion;

    private static readonly byte[] Newline = "\n"u8.ToArray();

    /// <summary><c>/ping</c>, <c>/health</c>, <c>/version</c> and <c>/invocations</c> for one route under <paramref name="prefix"/> ("" for the root).</summary>
    public static IEndpointRouteBuilder MapScoringProtocol(this IEndpointRouteBuilder app, string prefix, ModelRoute route)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(route);
        var handler = app.ServiceProvider.GetRequiredService<ServingRequestHandler>();
        RequestDelegate ping = context => PingAsync(context, route);
        app.MapGet(prefix + "/ping", ping);
        app.MapGet(prefix + "/health", ping);
        app.MapGet(prefix + "/version", context =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync(ProtocolVersion, context.RequestAborted);
        });
        app.MapPost(prefix + "/invocations", context => handler.InvocationsAsync(context, route));
        return app;
    }

    /// <summary>Every route's scoring protocol under <c>/serving/{name}</c>.</summary>
    public static IEndpointRouteBuilder MapServingRoutes(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var route in app.ServiceProvider.GetRequiredService<ModelRouteTable>().Routes)
        {
            app.MapScoringProtocol("/serving/" + Uri.EscapeDataString(route.Name), route);
        }

        return app;
    }

    /// <summary>The Open Inference Protocol (KServe v2) REST endpoints over every route.</summary>
    public static IEndpointRouteBuilder MapOpenInference(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var routes = app.ServiceProvider.GetRequiredService<ModelRouteTable>();
        var handler = app.ServiceProvider.GetRequiredService<ServingRequestHandler>();
        app.MapGet("/v2/health/live", context => WriteJsonAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("live"u8, true);
            w.WriteEndObject();
        }));
        app.MapGet("/v2/health/ready", context =>
        {
            var ready = routes.AllReady;
            return WriteJsonAsync(context, ready ? 200 : 503, w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("ready"u8, ready);
                w.WriteEndObject();
            });
        });
        app.MapGet("/v2", context => WriteJsonAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("name"u8, "strata");
            w.WriteString("version"u8, typeof(ServingEndpoints).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
            w.WriteStartArray("extensions"u8);
            w.WriteEndArray();
            w.WriteEndObject();
        }));

        foreach (var suffix in new[] { "", "/versions/{version}" })
        {
            var prefix = "/v2/models/{name}" + suffix;
            app.MapGet(prefix, context => MetadataAsync(context, routes));
            app.MapGet(prefix + "/ready", context => ReadyAsync(context, routes));
            app.MapPost(prefix + "/infer", context =>
            {
                var route = routes.Find((string)context.Request.RouteValues["name"]!);
                return route is null
                    ? UnknownModelAsync(context)
                    : handler.InferAsync(context, route, context.Request.RouteValues["version"] as string);
            });
        }

        return app;
    }

    /// <summary><c>GET /metrics</c> in Prometheus text format.</summary>
    public static IEndpointRouteBuilder MapServingMetrics(this IEndpointRouteBuilder app, string path = "/metrics")
    {
        ArgumentNullException.ThrowIfNull(app);
        var metrics = app.ServiceProvider.GetRequiredService<ServingMetrics>();
        app.MapGet(path, async context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.WriteAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        });
        return app;
    }

    /// <summary>
    /// <c>GET /api/2.0/strata/predictions?model=&amp;version=&amp;start_time=&amp;end_time=&amp;max_results=&amp;page_token=</c>:
    /// logged predictions, newest first.
    /// </summary>
    public static IEndpointRouteBuilder MapPredictionLogApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/api/2.0/strata/predictions", async context =>
        {
            var store = context.RequestServices.GetRequiredService<PredictionLogStore>();
            var q = context.Request.Query;
            PredictionLogPage page;
            try
            {
                var query = new PredictionLogQuery
                {
                    ModelName = NonEmpty(q["model"]),
                    ModelVersion = NonEmpty(q["version"]),
                    StartTimeMs = Long(q["start_time"], "start_time"),
                    EndTimeMs = Long(q["end_time"], "end_time"),
                    MaxResults = (int?)Long(q["max_results"], "max_results") ?? PredictionLogQuery.DefaultMaxResults,
                    PageToken = NonEmpty(q["page_token"]),
                };
                page = await store.SearchAsync(query, context.RequestAborted).ConfigureAwait(false);
            }
            catch (MlflowException e)
            {
                await WriteJsonAsync(context, ServingRequestHandler.StatusFor(e.Code), w =>
                {
                    w.WriteStartObject();
                    w.WriteString("error_code"u8, e.Code.ToString());
                    w.WriteString("message"u8, e.Message);
                    w.WriteEndObject();
                }).ConfigureAwait(false);
                return;
            }

            await WriteJsonAsync(context, 200, w => WritePage(w, page)).ConfigureAwait(false);
        });
        return app;
    }

    private static void WritePage(Utf8JsonWriter w, PredictionLogPage page)
    {
        w.WriteStartObject();
        w.WriteStartArray("predictions"u8);
        foreach (var r in page.Records)
        {
            w.WriteStartObject();
            w.WriteString("request_id"u8, r.RequestId);
            w.WriteString("model_name"u8, r.ModelName);
            w.WriteString("model_version"u8, r.ModelVersion);
            w.WriteNumber("timestamp"u8, r.TimestampMs);
            w.WriteNumber("latency_us"u8, r.LatencyMicroseconds);
            w.WriteNumber("status_code"u8, r.StatusCode);
            w.WriteString("protocol"u8, r.Protocol);
            w.WriteString("inputs"u8, r.Inputs);
            w.WriteString("outputs"u8, r.Outputs);
            if (r.ErrorMessage is not null)
            {
                w.WriteString("error_message"u8, r.ErrorMessage);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (page.NextPageToken is not null)
        {
            w.WriteString("next_page_token"u8, page.NextPageToken);
        }

        w.WriteEndObject();
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static long? Long(string? value, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw MlflowException.InvalidParameter($"{name} must be an integer, got '{value}'.");
    }

    private static Task PingAsync(HttpContext context, ModelRoute route)
    {
        // MLflow answers the same one-newline body either way; only the status says whether the model is loaded.
        context.Response.ContentType = "application/json";
        if (route.Current is null)
        {
            context.Response.StatusCode = 404;
        }

        return context.Response.Body.WriteAsync(Newline, context.RequestAborted).AsTask();
    }

    private static Task MetadataAsync(HttpContext context, ModelRouteTable routes)
    {
        if (!TryGetModel(context, routes, out var model, out var failure))
        {
            return failure;
        }

        return WriteJsonAsync(context, 200, w => V2Writer.WriteModelMetadata(
            w, model.Name, model.Version, model.Platform, model.Runtime.InputSchema, model.Runtime.OutputSchema));
    }

    private static Task ReadyAsync(HttpContext context, ModelRouteTable routes)
    {
        if (!TryGetModel(context, routes, out var model, out var failure))
        {
            return failure;
        }

        return WriteJsonAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("name"u8, model.Name);
            w.WriteBoolean("ready"u8, true);
            w.WriteEndObject();
        });
    }

    private static bool TryGetModel(HttpContext context, ModelRouteTable routes, out ServedModel model, out Task failure)
    {
        model = null!;
        var route = routes.Find((string)context.Request.RouteValues["name"]!);
        if (route is null)
        {
            failure = UnknownModelAsync(context);
            return false;
        }

        var current = route.Current;
        if (current is null)
        {
            failure = V2ErrorAsync(context, 503, $"Model '{route.Name}' is not ready.");
            return false;
        }

        if (context.Request.RouteValues["version"] is string version && version != current.Version)
        {
            failure = V2ErrorAsync(context, 404, $"Model '{route.Name}' version '{version}' is not loaded; this server serves version '{current.Version}'.");
            return false;
        }

        model = current;
        failure = Task.CompletedTask;
        return true;
    }

    private static Task UnknownModelAsync(HttpContext context) =>
        V2ErrorAsync(context, 404, $"Model '{context.Request.RouteValues["name"]}' is not served here.");

    private static Task V2ErrorAsync(HttpContext context, int status, string message) =>
        WriteJsonAsync(context, status, w => V2Writer.WriteError(w, message));

    private static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }
}
