using Strata.Core.Errors;

namespace Strata.Core.Webhooks;

/// <summary>
/// A webhook event: an entity and an action, written <c>entity.action</c> in payloads and lower case
/// (<c>model_version.created</c>), and as the proto enum names on the wire (<c>MODEL_VERSION</c>, <c>CREATED</c>).
/// MLflow 3.5's events, plus Strata's own (<see cref="IsStrata"/>): <c>deployment.created|updated|deleted</c>,
/// <c>alert.fired|resolved</c>, <c>job.finished</c> and <c>policy.decided</c>, delivered under the same scheme.
/// </summary>
public sealed record WebhookEvent(string Entity, string Action)
{
    /// <summary>MLflow 3.5's valid entity/action pairs.</summary>
    private static readonly Dictionary<string, string[]> ValidActions = new(StringComparer.Ordinal)
    {
        ["registered_model"] = ["created"],
        ["model_version"] = ["created"],
        ["model_version_tag"] = ["set", "deleted"],
        ["model_version_alias"] = ["created", "deleted"],
        ["prompt"] = ["created"],
        ["prompt_version"] = ["created"],
        ["prompt_tag"] = ["set", "deleted"],
        ["prompt_version_tag"] = ["set", "deleted"],
        ["prompt_alias"] = ["created", "deleted"],
        ["deployment"] = ["created", "updated", "deleted"],
        ["alert"] = ["fired", "resolved"],
        ["job"] = ["finished"],
        ["policy"] = ["decided"],
    };

    /// <summary>Strata's entities: MLflow clients cannot parse them, so MLflow's routes leave them out of a webhook's event list.</summary>
    private static readonly HashSet<string> StrataEntities = new(StringComparer.Ordinal) { "deployment", "alert", "job", "policy" };

    private static readonly string[] Actions = ["created", "updated", "deleted", "set", "fired", "resolved", "finished", "decided"];

    public static IEnumerable<WebhookEvent> All =>
        ValidActions.SelectMany(kv => kv.Value.Select(action => new WebhookEvent(kv.Key, action)));

    /// <summary>The event from its wire names (either case), or INVALID_PARAMETER_VALUE naming what is wrong.</summary>
    public static WebhookEvent Parse(string? entity, string? action)
    {
        var e = (entity ?? string.Empty).ToLowerInvariant();
        var a = (action ?? string.Empty).ToLowerInvariant();
        if (!ValidActions.TryGetValue(e, out var valid))
        {
            throw MlflowException.InvalidParameter(
                $"Invalid webhook event entity '{entity}'. Valid entities are: {string.Join(", ", ValidActions.Keys.Order(StringComparer.Ordinal))}.");
        }

        if (!Actions.Contains(a))
        {
            throw MlflowException.InvalidParameter($"Invalid webhook event action '{action}'. Valid actions are: {string.Join(", ", Actions)}.");
        }

        if (!valid.Contains(a))
        {
            throw MlflowException.InvalidParameter(
                $"Invalid action '{a}' for entity '{e}'. Valid actions are: [{string.Join(", ", valid.Order(StringComparer.Ordinal).Select(v => $"'{v}'"))}]");
        }

        return new WebhookEvent(e, a);
    }

    /// <summary>One of Strata's own events (not in MLflow's <c>webhooks.proto</c>).</summary>
    public bool IsStrata => StrataEntities.Contains(Entity);

    /// <summary>The proto enum names of the wire (<c>MODEL_VERSION_TAG</c>, <c>SET</c>).</summary>
    public string EntityName => Entity.ToUpperInvariant();

    public string ActionName => Action.ToUpperInvariant();

    public override string ToString() => $"{Entity}.{Action}";
}
