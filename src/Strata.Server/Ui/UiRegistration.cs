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
        services.AddHttpContextAccessor();
        services.AddScoped<UiAccess>();
        services.AddScoped<MetricSeriesReader>();
        services.AddScoped<DriftDistributions>();
        services.AddSingleton<MetricHistoryPrefetch>();
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

        // Build-time assets (plotly.js is 1.1 to 4.6 MB) are served as the build compressed them (gzip; brotli too when
        // published), with ETags, and immutable under their fingerprinted names. The runtime re-scan and its catch-all
        // {**path:file} fallback are off: that fallback would turn the API's 405 for a wrong method into a 404.
        var manifest = Path.Combine(AppContext.BaseDirectory, env.ApplicationName + ".staticwebassets.endpoints.json");
        var mapped = File.Exists(manifest);
        if (mapped)
        {
            app.Configuration["ReloadStaticAssetsAtRuntime"] ??= "false";
            app.Configuration["DisableStaticAssetNotFoundRuntimeFallback"] ??= "true";
            app.MapStaticAssets(manifest);
        }

        // Files outside the manifest (a wwwroot copied by hand) still come from the static files middleware, which
        // only looks at requests no endpoint matched, so every API route and its errors stay as they were.
        app.UseMiddleware<UiNotFoundMiddleware>();
        app.UseStaticFiles();
        app.UseAntiforgery();
        app.MapUiMetricSeriesApi();
        var components = app.MapRazorComponents<App>();
        if (mapped)
        {
            components.WithStaticAssets(manifest);
        }

        components.AddInteractiveServerRenderMode();
        return app;
    }
}
