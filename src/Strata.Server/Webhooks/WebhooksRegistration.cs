using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Strata.Core.Webhooks;
using Strata.Server.Hosting;
using Strata.Storage.Database;
using Strata.Storage.Webhooks;

namespace Strata.Server.Webhooks;

public static class WebhooksRegistration
{
    /// <summary>The webhook store and service, the sender, and the dispatcher that delivers from the event log.</summary>
    public static IServiceCollection AddStrataWebhooks(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IWebhookStore>(sp => new WebhookStore(sp.GetRequiredService<IDatabase>()));
        services.TryAddSingleton<IWebhookSender, WebhookSender>();
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<StrataServerOptions>>().Value.Webhooks.Policy());
        services.TryAddSingleton<WebhookService>();
        services.AddHostedService<WebhookDispatcher>();
        return services;
    }
}
