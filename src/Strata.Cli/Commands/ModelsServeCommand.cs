using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Strata.Core.Errors;
using Strata.Server;
using Strata.Server.Hosting;
using Strata.Server.Security;
using Strata.Serving.Hosting;
using Strata.Storage.Database;
using Strata.Storage.Migrations;

namespace Strata.Cli.Commands;

/// <summary>
/// <c>strata models serve -m &lt;uri&gt;</c>: a scoring server for one model (MLflow's <c>/invocations</c> protocol and the
/// Open Inference Protocol v2), following an alias or stage when given one.
/// </summary>
internal static class ModelsServeCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model-uri", "-m") { Description = "The model: a local folder, runs:/<run_id>/<path>, models:/<name>/<version|stage|latest> or models:/<name>@<alias>." };
        var deployment = new Option<string?>("--deployment") { Description = "Serve this deployment (its route, shadow and settings, followed as they change) instead of one model; needs --backend-store-uri and --tracking-uri." };
        var name = new Option<string?>("--name") { Description = "The name the model is served under (default: the registered model's or the folder's name)." };
        var host = new Option<string?>("--host") { Description = "Interface to listen on (default 127.0.0.1). MLflow also spells it -h, which here is help." };
        var port = new Option<int?>("--port", "-p") { Description = "Port to listen on (default 5001)." };
        var tracking = new Option<string?>("--tracking-uri") { Description = "Tracking server that resolves runs:/ and models:/ URIs (default env MLFLOW_TRACKING_URI)." };
        var backend = new Option<string?>("--backend-store-uri") { Description = "Database for the prediction log, e.g. sqlite:///./strata.db (default env STRATA_BACKEND_STORE_URI; none: no log)." };
        var tuning = new ServingFlags();
        var network = new NetworkFlags();
        var tokenFile = new Option<string?>("--api-token-file")
        {
            Description = $"Require Authorization: Bearer with one of the tokens in this file (one per line, at least {ServeTokens.MinimumLength} characters; env {ServeTokens.Variable}, comma-separated). Health probes stay open.",
        };
        var cache = new Option<string?>("--cache-dir") { Description = "Where downloaded models are kept (default a folder under the temp directory)." };

        var command = new Command("serve", "Serve a model over REST with MLflow's scoring protocol and the Open Inference Protocol v2.")
        {
            model, name, host, port, tracking, backend, cache, deployment, tokenFile,
        };
        foreach (var option in tuning.All.Concat(network.All))
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, ct) =>
        {
            ServingHostOptions options;
            SecurityOptions security;
            ServeTokens? tokens;
            try
            {
                security = network.Apply(new SecurityOptions().ApplyEnvironment(Environment.GetEnvironmentVariable), parse);
                security.Validate();
                tokens = ReadTokens(parse.GetValue(tokenFile));
                var uri = parse.GetValue(model);
                var deploymentName = parse.GetValue(deployment);
                if (uri is null && deploymentName is null)
                {
                    throw new ArgumentException("Give --model-uri (-m) or --deployment.");
                }

                var defaults = new ServingOptions();
                var serving = tuning.Apply(
                    new ServingOptions
                    {
                        Models = uri is null ? [] : [new ServeModelSpec(parse.GetValue(name) ?? ModelUri.Parse(uri).DefaultRouteName, uri)],
                        TrackingUri = parse.GetValue(tracking) ?? Environment.GetEnvironmentVariable("MLFLOW_TRACKING_URI"),
                        CacheDirectory = parse.GetValue(cache) ?? defaults.CacheDirectory,
                    },
                    parse,
                    Environment.GetEnvironmentVariable);
                options = new ServingHostOptions
                {
                    Host = parse.GetValue(host) ?? "127.0.0.1",
                    Port = parse.GetValue(port) ?? 5001,
                    BackendStoreUri = parse.GetValue(backend) ?? Environment.GetEnvironmentVariable("STRATA_BACKEND_STORE_URI"),
                    Serving = serving,
                    Deployment = deploymentName,
                    Certificate = TlsCertificate.Load(security),
                };
                if (uri is not null)
                {
                    serving.Validate();
                }
                else if (string.IsNullOrWhiteSpace(options.BackendStoreUri))
                {
                    throw new ArgumentException("--deployment needs --backend-store-uri (or STRATA_BACKEND_STORE_URI): the database the deployment is read from.");
                }
                if (options.Port is < 0 or > 65535)
                {
                    throw new ArgumentException($"--port must be between 0 and 65535, got {options.Port}.");
                }
            }
            catch (Exception ex) when (ex is ArgumentException or MlflowException or UriFormatException or StrataConfigurationException)
            {
                CliConsole.Error(ex.Message);
                return ExitCodes.Configuration;
            }

            return await RunAsync(options, security, tokens, ct).ConfigureAwait(false);
        });

        return command;
    }

    /// <summary>The tokens of <c>--api-token-file</c> and <c>STRATA_SERVE_TOKENS</c>; null (open, as <c>mlflow models serve</c>) when neither is given.</summary>
    private static ServeTokens? ReadTokens(string? file)
    {
        string? text = null;
        try
        {
            text = file is null ? null : File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--api-token-file: {e.Message}", e);
        }

        return ServeTokens.From(text, Environment.GetEnvironmentVariable(ServeTokens.Variable));
    }

    private static async Task<int> RunAsync(
        ServingHostOptions options, SecurityOptions security, ServeTokens? tokens, CancellationToken ct)
    {
        WebApplication app;
        try
        {
            app = await ServingHost.BuildAsync(
                options,
                builder => builder.Services.AddStrataServingSecurity(security, tokens),
                configureApp: a => a.UseStrataServingSecurity(),
                ct: ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is BackendStoreException or SchemaTooNewException or ArgumentException)
        {
            CliConsole.Error(ex.Message);
            return ExitCodes.Configuration;
        }

        var (servedName, servedUri) = options.Serving.Models.Count > 0
            ? (options.Serving.Models[0].Name, options.Serving.Models[0].Uri)
            : ("deployment " + options.Deployment, "deployment " + options.Deployment);
        return await WebAppLifetime.RunAsync(
            app, options.Host, options.Port, address => $"Serving {servedName} on {address}",
            ex =>
            {
                if (ex is not (MlflowException or HttpRequestException or FileNotFoundException or DirectoryNotFoundException))
                {
                    return null;
                }

                CliConsole.Error($"cannot load the model '{servedUri}': {ex.Message}");
                return ExitCodes.Failure;
            },
            ct).ConfigureAwait(false);
    }

    /// <summary><c>strata models</c> with its <c>serve</c> subcommand.</summary>
    public static Command CreateGroup() => new("models", "Work with MLflow models.") { Create() };
}
