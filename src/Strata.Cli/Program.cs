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
            ModelsServeCommand.CreateGroup(),
        };
        return root.Parse(args).InvokeAsync();
    }
}
