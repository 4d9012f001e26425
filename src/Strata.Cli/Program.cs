using System.CommandLine;
using Strata.Cli.Commands;

namespace Strata.Cli;

internal static class Program
{
    private static Task<int> Main(string[] args)
    {
        var root = new RootCommand("Strata: an MLflow-compatible tracking server, model registry and model serving.")
        {
            ServerCommand.Create(),
            GcCommand.Create(),
            DbCommand.Create(),
            ModelsServeCommand.CreateGroup(),
            WebhooksCommand.Create(),
            JobsCommand.Create(),
            UsersCommand.Create(),
            TokensCommand.Create(),
            DeploymentsCommand.Create(),
            MonitoringCommand.Create(),
            PoliciesCommand.Create(),
        };

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // A usage mistake is a configuration error: one line each, exit code 2, no help dump.
            foreach (var error in parse.Errors)
            {
                CliConsole.Error(error.Message);
            }

            return Task.FromResult(ExitCodes.Configuration);
        }

        return parse.InvokeAsync();
    }
}
