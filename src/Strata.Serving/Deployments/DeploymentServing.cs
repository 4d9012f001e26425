using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Strata.Core.Deployments;
using Strata.Serving.Hosting;
using Strata.Serving.Models;
using Strata.Serving.PredictionLog;
using Strata.Serving.Protocols;
using Strata.Storage.Database;
using Strata.Storage.Deployments;

namespace Strata.Serving.Deployments;

/// <summary>Registration and endpoints of deployment serving.</summary>
public static class DeploymentServing
{
    /// <summary>
    /// Deployment routes (every deployment, or only <paramref name="only"/>), their poller, the shadow mirror and the
    /// service metrics collector, on top of the shared serving core. An <see cref="IDatabase"/> must be registered.
    /// </summary>
    public static IServiceCollection AddStrataDeploymentServing(this IServiceCollection services, ServingOptions options, string? only)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ValidateSettings();
        services.AddStrataServingCore(options, predictionLog: true);
        services.TryAddSingleton<IDeploymentStore>(sp => new DeploymentStore(sp.GetRequiredService<IDatabase>()));
        services.TryAddSingleton<IServiceMetricsStore>(sp => new ServiceMetricsStore(sp.GetRequiredService<IDatabase>()));
        services.AddSingleton(new DeploymentRouteTable(only));
        services.AddSingleton(sp => new ServiceMetricsCollector(
            sp.GetRequiredService<IServiceMetricsStore>(), sp.GetRequiredService<TimeProvider>(), options.MetricsFlushInterval,
            sp.GetRequiredService<ILogger<ServiceMetricsCollector>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ServiceMetricsCollector>());
        services.AddSingleton(sp => new ShadowMirror(
            options.ShadowQueueCapacity, sp.GetRequiredService<ServiceMetricsCollector>(), sp.GetService<PredictionLogQueue>(),
            sp.GetRequiredService<TimeProvider>(), options.RequestTimeout, sp.GetRequiredService<ILogger<ShadowMirror>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ShadowMirror>());
        services.AddSingleton(sp => new DeploymentRouteLoader(
            sp.GetRequiredService<DeploymentRouteTable>(), sp.GetRequiredService<IDeploymentStore>(), sp.GetRequiredService<ModelResolver>(),
            sp.GetRequiredService<ModelRuntimeLoader>(), sp.GetRequiredService<ServingOptions>(), sp.GetRequiredService<ServingMetrics>(),
            sp.GetRequiredService<ILogger<DeploymentRouteLoader>>(), sp.GetService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>()));
        services.AddHostedService(sp => sp.GetRequiredService<DeploymentRouteLoader>());
        services.AddSingleton<DeploymentRequestHandler>();
        return services;
    }

    /// <summary>
    /// Per deployment under <c>/deployments/{name}</c>: <c>POST /invocations</c> (MLflow's scoring protocol),
    /// <c>GET /ping</c>, and the Open Inference Protocol with the deployment as the model:
    /// <c>/v2/health/live|ready</c>, <c>GET /v2/models/{name}[/versions/{v}][/ready]</c> and
    /// <c>POST /v2/models/{name}[/versions/{v}]/infer</c> (a version pins one leg of the route).
    /// </summary>
    public static IEndpointRouteBuilder MapDeploymentServing(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var handler = app.ServiceProvider.GetRequiredService<DeploymentRequestHandler>();
        var routes = app.ServiceProvider.GetRequiredService<DeploymentRouteTable>();
        const string prefix = "/deployments/{deployment}";
        app.MapPost(prefix + "/invocations", context => handler.InvocationsAsync(context, Deployment(context)));
        app.MapGet(prefix + "/ping", context => PingAsync(context, routes, Deployment(context)));
        app.MapGet(prefix + "/health", context => PingAsync(context, routes, Deployment(context)));
        app.MapGet(prefix + "/v2/health/live", context => WriteJsonAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("live"u8, true);
            w.WriteEndObject();
        }));
        app.MapGet(prefix + "/v2/health/ready", context =>
        {
            var ready = routes.Find(Deployment(context))?.Current is not null;
            return WriteJsonAsync(context, ready ? 200 : 503, w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("ready"u8, ready);
                w.WriteEndObject();
            });
        });
        foreach (var suffix in new[] { "", "/versions/{version}" })
        {
            var model = prefix + "/v2/models/{model}" + suffix;
            app.MapGet(model, context => MetadataAsync(context, routes, ready: false));
            app.MapGet(model + "/ready", context => MetadataAsync(context, routes, ready: true));
            app.MapPost(model + "/infer", context =>
                CheckModelName(context) ?? handler.InferAsync(context, Deployment(context), context.Request.RouteValues["version"] as string));
        }

        return app;
    }

    /// <summary>The one deployment of <c>strata models serve --deployment</c> at the root: <c>/invocations</c> and <c>/ping</c>.</summary>
    public static IEndpointRouteBuilder MapDeploymentAtRoot(this IEndpointRouteBuilder app, string name)
    {
        ArgumentNullException.ThrowIfNull(app);
        var handler = app.ServiceProvider.GetRequiredService<DeploymentRequestHandler>();
        var routes = app.ServiceProvider.GetRequiredService<DeploymentRouteTable>();
        app.MapPost("/invocations", context => handler.InvocationsAsync(context, name));
        app.MapGet("/ping", context => PingAsync(context, routes, name));
        app.MapGet("/health", context => PingAsync(context, routes, name));
        return app;
    }

    private static string Deployment(HttpContext context) => (string)context.Request.RouteValues["deployment"]!;

    /// <summary>The v2 model name of a deployment's endpoint is the deployment's own name.</summary>
    private static Task? CheckModelName(HttpContext context)
    {
        var model = (string)context.Request.RouteValues["model"]!;
        return model == Deployment(context)
            ? null
            : WriteJsonAsync(context, 404, w => V2Writer.WriteError(w, $"Model '{model}' is not served here; this endpoint serves deployment '{Deployment(context)}' as model '{Deployment(context)}'."));
    }

    private static Task PingAsync(HttpContext context, DeploymentRouteTable routes, string name)
    {
        context.Response.ContentType = "application/json";
        context.Response.StatusCode = routes.Find(name)?.Current is null ? 404 : 200;
        return context.Response.Body.WriteAsync("\n"u8.ToArray(), context.RequestAborted).AsTask();
    }

    private static Task MetadataAsync(HttpContext context, DeploymentRouteTable routes, bool ready)
    {
        if (CheckModelName(context) is { } failure)
        {
            return failure;
        }

        var name = Deployment(context);
        var snapshot = routes.Find(name)?.Current;
        if (snapshot is null)
        {
            return WriteJsonAsync(context, routes.Find(name) is null ? 404 : 503, w => V2Writer.WriteError(w, $"Deployment '{name}' is not ready."));
        }

        var pinned = context.Request.RouteValues["version"] as string;
        var target = pinned is null ? snapshot.Targets[0] : snapshot.Find(pinned);
        if (target is null)
        {
            return WriteJsonAsync(context, 404, w => V2Writer.WriteError(w, $"Deployment '{name}' routes to no version '{pinned}'."));
        }

        var model = target.Model;
        return ready
            ? WriteJsonAsync(context, 200, w =>
            {
                w.WriteStartObject();
                w.WriteString("name"u8, name);
                w.WriteBoolean("ready"u8, true);
                w.WriteEndObject();
            })
            : WriteJsonAsync(context, 200, w => V2Writer.WriteModelMetadata(
                w, name, model.Version, model.Platform, model.Runtime.InputSchema, model.Runtime.OutputSchema));
    }

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
