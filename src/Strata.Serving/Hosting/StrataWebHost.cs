using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Strata.Serving.Hosting;

/// <summary>
/// The web host every Strata process starts from (<c>strata server</c> and <c>strata models serve</c>): a slim
/// ASP.NET Core builder with Strata's logging defaults, configuration read once, and Kestrel on the given host and port.
/// </summary>
public static class StrataWebHost
{
    /// <param name="applicationName">The assembly whose name the host carries.</param>
    /// <param name="host">An IP address, <c>localhost</c> (loopback only), or anything else for every interface.</param>
    /// <param name="port">0 picks a free port.</param>
    /// <param name="args">Extra command-line style configuration, if any.</param>
    /// <param name="certificate">Serve HTTPS with this certificate (and its private key) instead of HTTP.</param>
    public static WebApplicationBuilder CreateBuilder(
        string? applicationName, string host, int port, string[]? args = null, X509Certificate2? certificate = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = applicationName,
            // appsettings.json is read once: reloading it on change needs a recursive watcher on the content root
            // (the working directory), which then wakes on every write of a database, artifact or prediction log kept
            // under it.
            Args = [.. args ?? [], "--hostBuilder:reloadConfigOnChange=false"],
        });
        // Defaults that appsettings/environment (Logging__LogLevel__...) can still override. ASP.NET's own per-request
        // Information lines cost ~15% of log-batch throughput, and Strata logs requests itself at Debug. With its
        // hosting category enabled at any level, ASP.NET also starts an Activity per request for log correlation
        // (OpenTelemetry, when configured, still gets its own spans).
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Information",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "None",
            },
        });
        // A stop (SIGTERM, Ctrl+C) gives in-flight requests and background services 10 s, not the default 30 s: well inside
        // an orchestrator's grace period, so a service slow to stop cannot get the process killed instead.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            Action<ListenOptions> listen = certificate is null ? _ => { } : options => options.UseHttps(certificate);
            if (IPAddress.TryParse(host, out var address))
            {
                kestrel.Listen(address, port, listen);
            }
            else if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            {
                kestrel.ListenLocalhost(port, listen);
            }
            else
            {
                kestrel.ListenAnyIP(port, listen);
            }
        });
        return builder;
    }
}
