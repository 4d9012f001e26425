using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Strata.Client.Http;

namespace Strata.Client;

public static class StrataClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="StrataClient"/> as a typed client of <c>IHttpClientFactory</c>, with the retry
    /// handler of <see cref="StrataRetryPolicy"/>. Values set by <paramref name="configure"/> win; unset ones come from the environment
    /// (STRATA_TRACKING_URI, MLFLOW_TRACKING_URI, MLFLOW_TRACKING_TOKEN, MLFLOW_TRACKING_USERNAME/PASSWORD).
    /// </summary>
    public static IHttpClientBuilder AddStrataClient(this IServiceCollection services, Action<StrataClientOptions>? configure = null)
    {
        var options = services.AddOptions<StrataClientOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        // After the caller's configuration: the environment only fills what is still unset.
        options.PostConfigure(o => o.ApplyEnvironment());
        var builder = services
            .AddHttpClient<StrataClient>((sp, http) =>
            {
                var o = sp.GetRequiredService<IOptions<StrataClientOptions>>().Value;
                StrataClient.ConfigureHttpClient(http, o);
            });
        builder.AddResilienceHandler("strata-retry", (pipeline, context) =>
            {
                var o = context.ServiceProvider.GetRequiredService<IOptions<StrataClientOptions>>().Value;
                pipeline.AddStrataStrategies(o);
            });
        return builder;
    }
}
