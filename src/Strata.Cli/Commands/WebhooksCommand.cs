using System.CommandLine;
using Strata.Core.Webhooks;
using Strata.Server.Webhooks;

namespace Strata.Cli.Commands;

/// <summary>
/// <c>strata webhooks create|update|list|get|delete|test|deliveries</c> over a Strata server's REST API; answers are
/// printed as the API's JSON. Events are written <c>entity.action</c>, as in MLflow (<c>model_version.created</c>).
/// </summary>
internal static class WebhooksCommand
{
    public static Command Create()
    {
        var group = new Command("webhooks", "Tell other systems about registry changes: MLflow-compatible, signed, delivered at least once.");
        group.Subcommands.Add(CreateOrUpdate(update: false));
        group.Subcommands.Add(CreateOrUpdate(update: true));
        group.Subcommands.Add(List());
        group.Subcommands.Add(Get());
        group.Subcommands.Add(Delete());
        group.Subcommands.Add(Test());
        group.Subcommands.Add(Deliveries());
        return group;
    }

    private static Option<string> Id() => new("--id") { Description = "The webhook's id.", Required = true };

    private static Command CreateOrUpdate(bool update)
    {
        var tracking = RemoteCommand.TrackingUri();
        var id = Id();
        var name = new Option<string?>("--name", "-n") { Description = "Letters, digits, '.', '_' and '-'; starts and ends with a letter or digit.", Required = !update };
        var url = new Option<string?>("--url") { Description = "Where deliveries are POSTed (http or https).", Required = !update };
        var events = new Option<string[]>("--event", "-e")
        {
            Description = "An event to deliver, entity.action (repeatable): registered_model.created, model_version.created, model_version_tag.set, " +
                "model_version_tag.deleted, model_version_alias.created, model_version_alias.deleted, prompt.created, prompt_version.created, " +
                "prompt_tag.set|deleted, prompt_version_tag.set|deleted, prompt_alias.created|deleted; Strata's own: deployment.created|updated|deleted, " +
                "alert.fired|resolved, job.finished, policy.decided.",
            Required = !update,
        };
        var secret = new Option<string?>("--secret") { Description = "Signs each delivery (X-MLflow-Signature); never shown again." };
        var description = new Option<string?>("--description") { Description = "What the webhook is for." };
        var status = new Option<WebhookStatus?>("--status") { Description = "ACTIVE or DISABLED." };
        var command = new Command(update ? "update" : "create", update ? "Change the fields given; --event replaces the event list." : "Create a webhook.")
        {
            tracking, name, url, events, secret, description, status,
        };
        if (update)
        {
            command.Options.Add(id);
        }

        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var eventList = parse.GetValue(events) is { Length: > 0 } e ? e : null;
            var written = update
                ? await client.UpdateWebhookAsync(parse.GetValue(id)!, parse.GetValue(name), parse.GetValue(url), eventList, parse.GetValue(secret),
                    parse.GetValue(description), parse.GetValue(status), ct).ConfigureAwait(false)
                : await client.CreateWebhookAsync(parse.GetValue(name)!, parse.GetValue(url)!, eventList!, parse.GetValue(secret),
                    parse.GetValue(description), parse.GetValue(status), ct).ConfigureAwait(false);
            RemoteCommand.Print(w => WebhookJson.WriteWebhook(w, written));
        }));
        return command;
    }

    private static Command List()
    {
        var tracking = RemoteCommand.TrackingUri();
        var command = new Command("list", "List webhooks, newest first.") { tracking };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            await RemoteCommand.PrintAllAsync(client.ListWebhooksAsync(ct), "webhooks", WebhookJson.WriteWebhook).ConfigureAwait(false);
        }));
        return command;
    }

    private static Command Get()
    {
        var tracking = RemoteCommand.TrackingUri();
        var id = Id();
        var command = new Command("get", "Show a webhook.") { tracking, id };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var h = await client.GetWebhookAsync(parse.GetValue(id)!, ct).ConfigureAwait(false);
            RemoteCommand.Print(w => WebhookJson.WriteWebhook(w, h));
        }));
        return command;
    }

    private static Command Delete()
    {
        var tracking = RemoteCommand.TrackingUri();
        var id = Id();
        var command = new Command("delete", "Delete a webhook; its pending deliveries are dropped.") { tracking, id };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            await client.DeleteWebhookAsync(parse.GetValue(id)!, ct).ConfigureAwait(false);
            Console.Out.WriteLine("{}");
        }));
        return command;
    }

    private static Command Test()
    {
        var tracking = RemoteCommand.TrackingUri();
        var id = Id();
        var evt = new Option<string?>("--event", "-e") { Description = "The event whose example payload to send (default: the webhook's first)." };
        var command = new Command("test", "Send an example payload now and show what the receiver answered.") { tracking, id, evt };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var result = await client.TestWebhookAsync(parse.GetValue(id)!, parse.GetValue(evt), ct).ConfigureAwait(false);
            RemoteCommand.Print(w =>
            {
                w.WriteStartObject();
                WebhookJson.WriteTestResult(w, result);
                w.WriteEndObject();
            });
        }));
        return command;
    }

    private static Command Deliveries()
    {
        var tracking = RemoteCommand.TrackingUri();
        var id = Id();
        var max = new Option<int?>("--max-results") { Description = "How many deliveries (newest first; default 100)." };
        var command = new Command("deliveries", "Show a webhook's deliveries with every attempt.") { tracking, id, max };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
            RemoteCommand.PrintJson(await client.ListWebhookDeliveriesJsonAsync(parse.GetValue(id)!, parse.GetValue(max), null, ct).ConfigureAwait(false))));
        return command;
    }
}
