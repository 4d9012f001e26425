using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Strata.Serving.Models;
using Strata.Serving.PredictionLog;
using Strata.Storage.Database;
using Strata.Storage.Serving;

namespace Strata.Serving.Hosting;

public static class ServingRegistration
{
    /// <summary>The ActivitySource names the serving layer traces under.</summary>
    public static readonly string[] TraceSources = ["Strata.Serving.Models", "Microsoft.AspNetCore"];

    /// <summary>
    /// Model routes, their loader and hot-swapper, the request handler, metrics and (when
    /// <paramref name="predictionLog"/> is true; an <see cref="IDatabase"/> must then be registered) the prediction log
    /// queue, store and background writer.
    /// </summary>
    public static IServiceCollection AddStrataModelServing(this IServiceCollection services, ServingOptions options, bool predictionLog)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.AddStrataServingCore(options, predictionLog);
        services.AddSingleton(new ModelRouteTable(options.Models.Select(m => new ModelRoute(m.Name, m.Uri))));
        services.AddSingleton<ModelRouteLoader>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelRouteLoader>());
        return services;
    }

    /// <summary>
    /// What every way of serving shares, once per process: the options, the request handler, metrics, the model resolver
    /// and runtime loader and (when <paramref name="predictionLog"/> is true; an <see cref="IDatabase"/> must then be
    /// registered) the prediction log queue, store and background writer.
    /// </summary>
    public static IServiceCollection AddStrataServingCore(this IServiceCollection services, ServingOptions options, bool predictionLog)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (services.Any(d => d.ServiceType == typeof(ServingRequestHandler)))
        {
            return services;
        }

        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        var queue = predictionLog && options.PredictionLog.Enabled ? new PredictionLogQueue(options.PredictionLog) : null;
        if (queue is not null)
        {
            services.AddSingleton(queue);
            services.TryAddSingleton(sp => new PredictionLogStore(sp.GetRequiredService<IDatabase>()));
            services.AddSingleton<PredictionLogWriter>();
            services.AddHostedService(sp => sp.GetRequiredService<PredictionLogWriter>());
        }

        services.AddSingleton(new ServingMetrics(queue));
        services.AddSingleton(sp => new ServingRequestHandler(
            sp.GetRequiredService<ServingMetrics>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ServingRequestHandler>>(), queue, options.RequestTimeout));
        services.AddSingleton(sp => new ModelResolver(
            () =>
            {
                var baseUri = options.TrackingIsSelf ? SelfAddress(sp) : options.TrackingUri;
                if (string.IsNullOrWhiteSpace(baseUri))
                {
                    return null;
                }

                var http = new HttpClient { BaseAddress = new Uri(baseUri.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(100) };
                if (options.TrackingAuthorization is { } authorization)
                {
                    http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
                }

                return http;
            },
            options.CacheDirectory));
        services.TryAddSingleton(sp => ModelRuntimeLoader.ForServing(
            options.Python, options.RequestTimeout, sp.GetRequiredService<ILoggerFactory>(), Path.Combine(options.CacheDirectory, "python")));
        return services;
    }

    /// <summary>The address this process listens on, for resolving models through its own API (wildcards become loopback).</summary>
    private static string? SelfAddress(IServiceProvider services)
    {
        var addresses = services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault();
        return first?.Replace("://0.0.0.0:", "://127.0.0.1:", StringComparison.Ordinal)
            .Replace("://[::]:", "://127.0.0.1:", StringComparison.Ordinal)
            .Replace("://+:", "://127.0.0.1:", StringComparison.Ordinal)
            .Replace("://*:", "://127.0.0.1:", StringComparison.Ordinal);
    }

    /// <summary>Traces to an OTLP collector when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; nothing otherwise.</summary>
    public static IServiceCollection AddStrataServingTracing(this IServiceCollection services, Func<string, string?> getVariable, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        if (string.IsNullOrWhiteSpace(getVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
        {
            return services;
        }

        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithTracing(t => t.AddSource(TraceSources).AddOtlpExporter());
        return services;
    }
}
