using System.CommandLine;
using System.Text.Json;

namespace Strata.Cli.Commands;

/// <summary>
/// <c>strata users create|list|delete|set-password|set-admin|grant-deployment|revoke-deployment</c> against a server started with <c>--auth</c>, signed in
/// with <c>MLFLOW_TRACKING_USERNAME</c>/<c>MLFLOW_TRACKING_PASSWORD</c> or <c>MLFLOW_TRACKING_TOKEN</c>. Passwords are
/// read from <c>--password-env</c> (a variable's name) or standard input, never from the command line.
/// </summary>
internal static class UsersCommand
{
    public static Command Create()
    {
        var group = new Command("users", "Manage the users of a server started with --auth (admins only, except set-password for oneself).");
        group.Subcommands.Add(CreateUser());
        group.Subcommands.Add(List());
        group.Subcommands.Add(Delete());
        group.Subcommands.Add(SetPassword());
        group.Subcommands.Add(SetAdmin());
        group.Subcommands.Add(GrantDeployment());
        group.Subcommands.Add(RevokeDeployment());
        return group;
    }

    private static Option<string> Username() => new("--username", "-u") { Description = "The user's name.", Required = true };

    private static Option<string?> PasswordEnv() =>
        new("--password-env") { Description = "Name of an environment variable holding the password (else it is read from standard input)." };

    private static Command CreateUser()
    {
        var tracking = RemoteCommand.TrackingUri();
        var username = Username();
        var passwordEnv = PasswordEnv();
        var admin = new Option<bool>("--admin") { Description = "Make the new user an admin." };
        var command = new Command("create", "Create a user.") { tracking, username, passwordEnv, admin };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var name = parse.GetValue(username)!;
            var created = await client.CreateUserAsync(name, ReadPassword(parse.GetValue(passwordEnv)), ct).ConfigureAwait(false);
            if (parse.GetValue(admin))
            {
                await client.UpdateUserAdminAsync(name, true, ct).ConfigureAwait(false);
                created = await client.GetUserAsync(name, ct).ConfigureAwait(false);
            }

            RemoteCommand.Print(created.WriteTo);
        }));
        return command;
    }

    private static Command List()
    {
        var tracking = RemoteCommand.TrackingUri();
        var command = new Command("list", "List users.") { tracking };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var users = new List<JsonElement>();
            string? token = null;
            do
            {
                var page = await client.ListUsersAsync(null, token, ct).ConfigureAwait(false);
                if (page.TryGetProperty("users", out var items))
                {
                    users.AddRange(items.EnumerateArray().Select(u => u.Clone()));
                }

                token = page.TryGetProperty("next_page_token", out var next) ? next.GetString() : null;
            }
            while (!string.IsNullOrEmpty(token));

            RemoteCommand.Print(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("users");
                foreach (var u in users)
                {
                    u.WriteTo(w);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
        }));
        return command;
    }

    private static Command Delete()
    {
        var tracking = RemoteCommand.TrackingUri();
        var username = Username();
        var command = new Command("delete", "Delete a user with its tokens and grants.") { tracking, username };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), client => client.DeleteUserAsync(parse.GetValue(username)!, ct)));
        return command;
    }

    private static Command SetPassword()
    {
        var tracking = RemoteCommand.TrackingUri();
        var username = Username();
        var passwordEnv = PasswordEnv();
        var command = new Command("set-password", "Change a user's password (an admin, or the user itself).") { tracking, username, passwordEnv };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), client =>
            client.UpdateUserPasswordAsync(parse.GetValue(username)!, ReadPassword(parse.GetValue(passwordEnv)), ct)));
        return command;
    }

    private static Command SetAdmin()
    {
        var tracking = RemoteCommand.TrackingUri();
        var username = Username();
        var value = new Argument<bool>("is-admin") { Description = "true or false." };
        var command = new Command("set-admin", "Make a user an admin, or not.") { tracking, username, value };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), client =>
            client.UpdateUserAdminAsync(parse.GetValue(username)!, parse.GetValue(value), ct)));
        return command;
    }

    private static Option<string> DeploymentName() => new("--deployment", "-d") { Description = "The deployment's name.", Required = true };

    /// <summary>Creates the grant, or changes it when the user already holds one (what an admin running it means).</summary>
    private static Command GrantDeployment()
    {
        var tracking = RemoteCommand.TrackingUri();
        var username = Username();
        var deployment = DeploymentName();
        var permission = new Option<string>("--permission", "-p") { Description = "READ, EDIT, MANAGE or NO_PERMISSIONS.", Required = true };
        permission.AcceptOnlyFromAmong("READ", "EDIT", "MANAGE", "NO_PERMISSIONS");
        var command = new Command("grant-deployment", "Give a user a permission on a deployment (MANAGE on it needed).") { tracking, username, deployment, permission };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var (d, u, p) = (parse.GetValue(deployment)!, parse.GetValue(username)!, parse.GetValue(permission)!);
            try
            {
                await client.CreateDeploymentPermissionAsync(d, u, p, ct).ConfigureAwait(false);
            }
            catch (Strata.Client.StrataApiException ex) when (ex.ErrorCode == Strata.Core.Errors.ErrorCode.RESOURCE_ALREADY_EXISTS)
            {
                await client.UpdateDeploymentPermissionAsync(d, u, p, ct).ConfigureAwait(false);
            }

            RemoteCommand.Print((await client.GetDeploymentPermissionAsync(d, u, ct).ConfigureAwait(false)).WriteTo);
        }));
        return command;
    }

    private static Command RevokeDeployment()
    {
        var tracking = RemoteCommand.TrackingUri();
        var username = Username();
        var deployment = DeploymentName();
        var command = new Command("revoke-deployment", "Drop a user's grant on a deployment (the default permission applies again).") { tracking, username, deployment };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), client =>
            client.DeleteDeploymentPermissionAsync(parse.GetValue(deployment)!, parse.GetValue(username)!, ct)));
        return command;
    }

    /// <summary>The password from the named variable, else the first line of standard input.</summary>
    private static string ReadPassword(string? variable)
    {
        if (variable is not null)
        {
            return Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnv
                ? fromEnv
                : throw new Strata.Core.Errors.MlflowException(Strata.Core.Errors.ErrorCode.INVALID_PARAMETER_VALUE, $"--password-env: variable {variable} is not set.");
        }

        return Console.In.ReadLine() is { Length: > 0 } line
            ? line
            : throw new Strata.Core.Errors.MlflowException(Strata.Core.Errors.ErrorCode.INVALID_PARAMETER_VALUE, "No password: pass --password-env NAME or write it to standard input.");
    }
}
