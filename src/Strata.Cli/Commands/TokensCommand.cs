using System.CommandLine;

namespace Strata.Cli.Commands;

/// <summary>
/// <c>strata tokens create|list|revoke</c>: API tokens for <c>MLFLOW_TRACKING_TOKEN</c>. The secret is printed once, at
/// creation; the server keeps only its hash.
/// </summary>
internal static class TokensCommand
{
    public static Command Create()
    {
        var group = new Command("tokens", "Manage API tokens of a server started with --auth (your own; admins: anyone's).");
        group.Subcommands.Add(CreateToken());
        group.Subcommands.Add(List());
        group.Subcommands.Add(Revoke());
        return group;
    }

    private static Command CreateToken()
    {
        var tracking = RemoteCommand.TrackingUri();
        var name = new Option<string>("--name", "-n") { Description = "What the token is for.", Required = true };
        var username = new Option<string?>("--username", "-u") { Description = "Whose token (admins only; default: yourself)." };
        var days = new Option<int?>("--expires-in-days") { Description = "Expire after this many days (default: never)." };
        var deployment = new Option<string?>("--deployment") { Description = "Limit the token to calling this deployment's serving endpoints." };
        var command = new Command("create", "Create a token; its secret is printed once.") { tracking, name, username, days, deployment };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var created = await client.CreateTokenAsync(parse.GetValue(name)!, parse.GetValue(username), parse.GetValue(days), parse.GetValue(deployment), ct).ConfigureAwait(false);
            RemoteCommand.Print(created.WriteTo);
        }));
        return command;
    }

    private static Command List()
    {
        var tracking = RemoteCommand.TrackingUri();
        var username = new Option<string?>("--username", "-u") { Description = "Whose tokens (default: yours; admins see everyone's)." };
        var command = new Command("list", "List tokens, newest first (never their secrets).") { tracking, username };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
            RemoteCommand.Print((await client.ListTokensAsync(parse.GetValue(username), ct).ConfigureAwait(false)).WriteTo)));
        return command;
    }

    private static Command Revoke()
    {
        var tracking = RemoteCommand.TrackingUri();
        var id = new Option<string>("--id") { Description = "The token's id (from list or create).", Required = true };
        var command = new Command("revoke", "Revoke a token at once.") { tracking, id };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), client => client.RevokeTokenAsync(parse.GetValue(id)!, ct)));
        return command;
    }
}
