using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Strata.Server;
using Strata.Server.Hosting;
using Strata.Storage.Database;
using Strata.Storage.Migrations;

namespace Strata.Cli.Commands;

/// <summary><c>strata server</c>: runs the tracking server with <c>mlflow server</c>'s flags.</summary>
internal static class ServerCommand
{
    public static Command Create()
    {
        var host = new Option<string?>("--host") { Description = "Interface to listen on (default 127.0.0.1; env STRATA_HOST)." };
        var port = new Option<int?>("--port", "-p") { Description = "Port to listen on (default 5000; env STRATA_PORT)." };
        var backend = new Option<string?>("--backend-store-uri")
        {
            Description = $"Database URI, e.g. sqlite:///./mlflow.db or sqlite:////abs/path.db (default {StrataServerOptions.DefaultBackendStoreUri}; env STRATA_BACKEND_STORE_URI).",
        };
        var artifactRoot = new Option<string?>("--default-artifact-root")
        {
            Description = $"Artifact root for new experiments (default {StrataServerOptions.ProxiedArtifactRoot}; env STRATA_DEFAULT_ARTIFACT_ROOT).",
        };
        var artifactsDestination = new Option<string?>("--artifacts-destination")
        {
            Description = "Where proxied artifacts are stored (default ./strata-data/artifacts; env STRATA_ARTIFACTS_DESTINATION).",
        };
        var serveArtifacts = new Option<bool>("--serve-artifacts") { Description = "Proxy artifact uploads and downloads (the default)." };
        var noServeArtifacts = new Option<bool>("--no-serve-artifacts") { Description = "Do not proxy artifacts." };
        var artifactsOnly = new Option<bool>("--artifacts-only") { Description = "Serve only the artifact proxy; tracking and registry answer 503." };
        var artifactsFsync = new Option<bool>("--artifacts-fsync")
        {
            Description = "fsync every upload to a local artifacts destination before answering, so it survives a power loss (env STRATA_ARTIFACTS_FSYNC). " +
                          "Without it uploads are still atomic (never a partial file after a crash), as durable as MLflow's.",
        };
        var serveModel = new Option<string[]>("--serve-model")
        {
            Description = "Serve a model in this process, as name=uri (a folder, runs:/ or models:/ URI); repeatable. Mounted under /serving/{name} and /v2/models/{name}.",
            AllowMultipleArgumentsPerToken = false,
        };

        var retention = new Option<string?>("--log-retention")
        {
            Description = "Keep this much prediction log, deleting older entries in the background: an age (7d), a size (2GB) or both (7d,2GB) (env STRATA_LOG_RETENTION).",
        };
        var driftInterval = new Option<string?>("--drift-interval")
        {
            Description = "How often drift is computed for every monitored model version, over the interval just ended: 30s, 15m, 1h (default), 0 for never (env STRATA_DRIFT_INTERVAL).",
        };
        var alertInterval = new Option<string?>("--alert-interval")
        {
            Description = "How often error-rate and latency-p99 alerts are evaluated against the stored service metrics: 30s (default), 1m, 0 for never (env STRATA_ALERT_INTERVAL).",
        };
        var noProfileOnRegister = new Option<bool>("--no-profile-on-register")
        {
            Description = "Do not compute a reference profile when a model version is registered (env STRATA_PROFILE_ON_REGISTER=false).",
        };

        var network = new NetworkFlags();
        var auth = new Option<bool>("--auth")
        {
            Description = "Require sign-in (HTTP basic or bearer token) and apply per-experiment, per-model and per-deployment permissions (env STRATA_AUTH). " +
                "The first start needs STRATA_ADMIN_USERNAME and STRATA_ADMIN_PASSWORD.",
        };
        var authDefaultPermission = new Option<string?>("--auth-default-permission")
        {
            Description = "With --auth: what users may do without an explicit grant: READ (default), EDIT, MANAGE or NO_PERMISSIONS (env STRATA_AUTH_DEFAULT_PERMISSION).",
        };

        var oidc = new OidcFlags();

        var tuning = new ServingFlags();

        var command = new Command("server", "Run the MLflow-compatible tracking server.")
        {
            host, port, backend, artifactRoot, artifactsDestination, serveArtifacts, noServeArtifacts, artifactsOnly, artifactsFsync, serveModel, retention,
            driftInterval, alertInterval, noProfileOnRegister, auth, authDefaultPermission,
        };
        foreach (var option in network.All.Concat(tuning.All).Concat(oidc.All))
        {
            command.Options.Add(option);
        }

        var kubernetesJobs = new JobsKubernetesFlags();
        foreach (var option in kubernetesJobs.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, ct) =>
        {
            StrataServerOptions options;
            try
            {
                options = new StrataServerOptions().ApplyEnvironment(Environment.GetEnvironmentVariable);
                options.Host = parse.GetValue(host) ?? options.Host;
                options.Port = parse.GetValue(port) ?? options.Port;
                options.BackendStoreUri = parse.GetValue(backend) ?? options.BackendStoreUri;
                options.DefaultArtifactRoot = parse.GetValue(artifactRoot) ?? options.DefaultArtifactRoot;
                options.ArtifactsDestination = parse.GetValue(artifactsDestination) ?? options.ArtifactsDestination;
                if (parse.GetValue(serveArtifacts) && parse.GetValue(noServeArtifacts))
                {
                    throw new StrataConfigurationException("--serve-artifacts and --no-serve-artifacts cannot be used together.");
                }

                if (parse.GetValue(serveArtifacts))
                {
                    options.ServeArtifacts = true;
                }

                if (parse.GetValue(noServeArtifacts))
                {
                    options.ServeArtifacts = false;
                }

                // Without the proxy, mlflow-artifacts:/ URIs cannot be served: like MLflow, fall back to ./mlruns.
                if (!options.ServeArtifacts && parse.GetValue(artifactRoot) is null
                    && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("STRATA_DEFAULT_ARTIFACT_ROOT")))
                {
                    options.DefaultArtifactRoot = Path.GetFullPath("mlruns");
                }

                if (parse.GetValue(artifactsOnly))
                {
                    options.ArtifactsOnly = true;
                }

                if (parse.GetValue(artifactsFsync))
                {
                    options.ArtifactsFsync = true;
                }

                foreach (var model in parse.GetValue(serveModel) ?? [])
                {
                    options.ServeModels.Add(model);
                }

                if (parse.GetValue(driftInterval) is { } interval)
                {
                    options.Monitoring.DriftInterval = Strata.Server.Monitoring.MonitoringOptions.TryParseDuration(interval, out var d)
                        ? d
                        : throw new StrataConfigurationException($"--drift-interval must be a duration such as 30s, 15m, 1h or 0, got '{interval}'.");
                }

                if (parse.GetValue(alertInterval) is { } every)
                {
                    options.Monitoring.AlertInterval = Strata.Server.Monitoring.MonitoringOptions.TryParseDuration(every, out var a)
                        ? a
                        : throw new StrataConfigurationException($"--alert-interval must be a duration such as 30s, 1m or 0, got '{every}'.");
                }

                if (parse.GetValue(noProfileOnRegister))
                {
                    options.Monitoring.ProfileOnRegister = false;
                }

                network.Apply(options.Security, parse);
                if (parse.GetValue(auth))
                {
                    options.Auth.Enabled = true;
                }

                if (parse.GetValue(authDefaultPermission) is { } permission)
                {
                    options.Auth.DefaultPermission = StrataServerOptions.ParsePermission(permission, "--auth-default-permission");
                }

                kubernetesJobs.Apply(options.Jobs.Kubernetes, parse);
                oidc.Apply(options.Auth, parse);
                options.Serving = tuning.Apply(options.Serving, parse, Environment.GetEnvironmentVariable);
                if (parse.GetValue(retention) is { } keep)
                {
                    options.LogRetention = StrataServerOptions.ParseRetention(keep, "--log-retention");
                }
            }
            catch (Exception ex) when (ex is StrataConfigurationException or ArgumentException)
            {
                CliConsole.Error(ex.Message);
                return ExitCodes.Configuration;
            }

            return await RunAsync(options, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(StrataServerOptions options, CancellationToken ct)
    {
        WebApplication app;
        try
        {
            app = await StrataServer.BuildAsync(options, ct: ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StrataConfigurationException or BackendStoreException or SchemaTooNewException)
        {
            CliConsole.Error(ex.Message);
            return ExitCodes.Configuration;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            CliConsole.Error($"the server could not start: {ex.Message}");
            return ExitCodes.Failure;
        }

        return await WebAppLifetime.RunAsync(
            app, options.Host, options.Port, address => $"Strata server listening on {address}", startFailure: null, ct).ConfigureAwait(false);
    }
}
