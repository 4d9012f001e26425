using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.StaticWebAssets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Strata.Server.Ui.Components;

namespace Strata.Server.Ui;

/// <summary>
/// The web UI: Razor components rendered on the server (static SSR), with charts as small interactive-server islands.
/// Pages call the Core services and stores directly, never the server's own HTTP API.
/// </summary>
public static class UiRegistration
{
    public static IServiceCollection AddStrataUi(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddScoped<UiArtifacts>();
        services.AddScoped<MetricSeriesReader>();
        return services;
    }

    public static WebApplication MapStrataUi(this WebApplication app)
    {
        // The content root is the working directory, not where strata is installed: serve the UI's files from beside
        // the binaries (a published build's wwwroot) plus, in a build tree, the static web assets manifest that points
        // into the source tree and package cache. Both are found by the application name Strata.Server.
        var env = app.Environment;
        var published = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (Directory.Exists(published))
        {
            env.WebRootFileProvider = new PhysicalFileProvider(published);
        }

        StaticWebAssetsLoader.UseStaticWebAssets(env, app.Configuration);
        // The static files middleware rather than MapStaticAssets: the latter also maps a catch-all GET fallback
        // ({**path:file}), which would turn the API's 405 for a wrong method into that fallback's 404. The middleware
        // only looks at requests no endpoint matched, so every API route and its errors stay as they were.
        app.UseStaticFiles();
        app.UseAntiforgery();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
