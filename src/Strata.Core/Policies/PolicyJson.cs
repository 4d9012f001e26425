using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Strata.Core.Errors;

namespace Strata.Core.Policies;

/// <summary>
/// The one JSON form of policies and decisions: the REST wire, the SDK, the CLI, the stored spec and the
/// <c>policy.decided</c> payload. Reading checks types and names the offending field (<c>gate.metric</c>).
/// </summary>
public static class PolicyJson
{
    private static readonly JsonSerializerOptions DetailsOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// Reads a spec from the members <paramref name="member"/> finds (null: absent). With <paramref name="current"/>
    /// (an update) absent members keep their value; otherwise name, model_name and gate are required.
    /// </summary>
    public static PolicySpec ReadSpec(Func<string, JsonElement?> member, PolicySpec? current = null)
    {
        ArgumentNullException.ThrowIfNull(member);
        var name = OptionalString(member("name"), "name") ?? current?.Name ?? throw MlflowException.MissingParameter("name");
        var model = OptionalString(member("model_name"), "model_name");
        if (current is not null && model is not null && model != current.ModelName)
        {
            throw MlflowException.InvalidParameter($"Parameter 'model_name' cannot change ('{current.ModelName}' to '{model}'): create a policy for the other model.");
        }

        model ??= current?.ModelName ?? throw MlflowException.MissingParameter("model_name");
        var gate = member("gate") is { } g ? ReadGate(g) : current?.Gate ?? throw MlflowException.MissingParameter("gate");
        var actions = member("actions") is { } a ? ReadActions(a) : current?.Actions ?? new PolicyActions();
        var description = member("description") is { } d ? OptionalString(d, "description") : current?.Description;
        var enabled = member("enabled") is { } e ? Boolean(e, "enabled") : current?.Enabled ?? true;
        return new PolicySpec(name, model, gate, actions, description, enabled);
    }

    public static PolicySpec ReadSpec(JsonElement e) =>
        ReadSpec(name => e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null);

    public static void WriteSpecMembers(Utf8JsonWriter w, PolicySpec spec)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(spec);
        w.WriteString("name"u8, spec.Name);
        w.WriteString("model_name"u8, spec.ModelName);
        if (spec.Description is not null)
        {
            w.WriteString("description"u8, spec.Description);
        }

        w.WriteBoolean("enabled"u8, spec.Enabled);
        w.WriteStartObject("gate"u8);
        w.WriteString("metric"u8, spec.Gate.Metric);
        w.WriteString("direction"u8, spec.Gate.Direction == MetricDirection.Min ? "min" : "max");
        w.WriteNumber("min_improvement"u8, spec.Gate.MinImprovement);
        w.WriteString("champion_alias"u8, spec.Gate.ChampionAlias);
        w.WriteBoolean("same_dataset"u8, spec.Gate.SameDataset);
        w.WriteEndObject();
        var a = spec.Actions;
        w.WriteStartObject("actions"u8);
        if (a.SetAlias is not null)
        {
            w.WriteString("set_alias"u8, a.SetAlias);
        }

        w.WriteBoolean("require_approval"u8, a.RequireApproval);
        w.WriteBoolean("promote"u8, a.Promote);
        if (a.Canary is { } c)
        {
            w.WriteStartObject("canary"u8);
            w.WriteString("deployment"u8, c.Deployment);
            w.WriteNumber("percent"u8, c.Percent);
            w.WriteNumber("min_requests"u8, c.MinRequests);
            w.WriteNumber("max_error_rate_increase"u8, c.MaxErrorRateIncrease);
            w.WriteNumber("max_latency_increase"u8, c.MaxLatencyIncrease);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    public static string SerializeSpec(PolicySpec spec) => Json(w =>
    {
        w.WriteStartObject();
        WriteSpecMembers(w, spec);
        w.WriteEndObject();
    });

    public static PolicySpec DeserializeSpec(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return ReadSpec(doc.RootElement);
    }

    public static void WritePolicy(Utf8JsonWriter w, Policy policy)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(policy);
        w.WriteStartObject();
        w.WriteString("policy_id"u8, policy.Id);
        WriteSpecMembers(w, policy.Spec);
        w.WriteNumber("creation_timestamp"u8, policy.CreationTimestamp);
        w.WriteNumber("last_updated_timestamp"u8, policy.LastUpdatedTimestamp);
        w.WriteEndObject();
    }

    public static Policy ReadPolicy(JsonElement e) => new(
        e.GetProperty("policy_id").GetString()!,
        ReadSpec(e),
        e.GetProperty("creation_timestamp").GetInt64(),
        e.GetProperty("last_updated_timestamp").GetInt64());

    public static void WriteDecision(Utf8JsonWriter w, PolicyDecision d)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(d);
        w.WriteStartObject();
        WriteDecisionMembers(w, d);
        w.WriteEndObject();
    }

    public static PolicyDecision ReadDecision(JsonElement e) => new(
        e.GetProperty("decision_id").GetString()!,
        e.GetProperty("policy_id").GetString()!,
        e.GetProperty("model_name").GetString()!,
        long.Parse(e.GetProperty("version").GetString()!, CultureInfo.InvariantCulture),
        e.TryGetProperty("event_id", out var ev) ? ev.GetInt64() : null,
        Enum.Parse<DecisionStatus>(e.GetProperty("status").GetString()!),
        e.TryGetProperty("reasons", out var r) ? r.EnumerateArray().Select(x => x.GetString()!).ToList() : [],
        e.TryGetProperty("details", out var details) ? DeserializeDetails(details.GetRawText()) : DecisionDetails.Empty,
        e.GetProperty("created_at").GetInt64(),
        e.GetProperty("updated_at").GetInt64(),
        e.TryGetProperty("decided_by", out var by) ? by.GetString() : null);

    /// <summary>The <c>policy.decided</c> webhook payload: the decision with its policy's name.</summary>
    public static string DecidedPayload(Policy policy, PolicyDecision decision) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("policy_name"u8, policy.Spec.Name);
        WriteDecisionMembers(w, decision);
        w.WriteEndObject();
    });

    public static string SerializeDetails(DecisionDetails details) => JsonSerializer.Serialize(details, DetailsOptions);

    public static DecisionDetails DeserializeDetails(string? json) =>
        string.IsNullOrEmpty(json) ? DecisionDetails.Empty : JsonSerializer.Deserialize<DecisionDetails>(json, DetailsOptions) ?? DecisionDetails.Empty;

    public static string SerializeReasons(IReadOnlyList<string> reasons) => JsonSerializer.Serialize(reasons);

    public static IReadOnlyList<string> DeserializeReasons(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<List<string>>(json) ?? [];

    private static void WriteDecisionMembers(Utf8JsonWriter w, PolicyDecision d)
    {
        w.WriteString("decision_id"u8, d.Id);
        w.WriteString("policy_id"u8, d.PolicyId);
        w.WriteString("model_name"u8, d.ModelName);
        w.WriteString("version"u8, d.Version.ToString(CultureInfo.InvariantCulture));
        if (d.EventId is { } eventId)
        {
            w.WriteNumber("event_id"u8, eventId);
        }

        w.WriteString("status"u8, d.Status.ToString());
        w.WriteStartArray("reasons"u8);
        foreach (var reason in d.Reasons)
        {
            w.WriteStringValue(reason);
        }

        w.WriteEndArray();
        w.WritePropertyName("details"u8);
        w.WriteRawValue(SerializeDetails(d.Details), skipInputValidation: true);
        w.WriteNumber("created_at"u8, d.CreatedAt);
        w.WriteNumber("updated_at"u8, d.UpdatedAt);
        if (d.DecidedBy is not null)
        {
            w.WriteString("decided_by"u8, d.DecidedBy);
        }
    }

    private static PolicyGate ReadGate(JsonElement g)
    {
        RequireObject(g, "gate");
        var metric = OptionalString(Member(g, "metric"), "gate.metric") ?? throw MlflowException.MissingParameter("gate.metric");
        var directionText = OptionalString(Member(g, "direction"), "gate.direction") ?? throw MlflowException.MissingParameter("gate.direction");
        var direction = directionText.ToLowerInvariant() switch
        {
            "min" or "minimize" => MetricDirection.Min,
            "max" or "maximize" => MetricDirection.Max,
            _ => throw MlflowException.InvalidParameter($"Parameter 'gate.direction' must be 'min' or 'max', got '{directionText}'."),
        };
        var improvement = Member(g, "min_improvement") is { } i ? Number(i, "gate.min_improvement") : 0;
        var alias = OptionalString(Member(g, "champion_alias"), "gate.champion_alias") ?? PolicyGate.DefaultChampionAlias;
        var same = Member(g, "same_dataset") is { } s && Boolean(s, "gate.same_dataset");
        return new PolicyGate(metric, direction, improvement, alias, same);
    }

    private static PolicyActions ReadActions(JsonElement a)
    {
        RequireObject(a, "actions");
        CanaryAction? canary = null;
        if (Member(a, "canary") is { } c)
        {
            RequireObject(c, "actions.canary");
            canary = new CanaryAction(
                OptionalString(Member(c, "deployment"), "actions.canary.deployment") ?? throw MlflowException.MissingParameter("actions.canary.deployment"),
                Member(c, "percent") is { } p ? Number(p, "actions.canary.percent") : throw MlflowException.MissingParameter("actions.canary.percent"),
                Member(c, "min_requests") is { } m ? Integer(m, "actions.canary.min_requests") : throw MlflowException.MissingParameter("actions.canary.min_requests"),
                Member(c, "max_error_rate_increase") is { } er ? Number(er, "actions.canary.max_error_rate_increase") : 0,
                Member(c, "max_latency_increase") is { } li ? Number(li, "actions.canary.max_latency_increase") : 0);
        }

        return new PolicyActions(
            OptionalString(Member(a, "set_alias"), "actions.set_alias"),
            Member(a, "require_approval") is { } r && Boolean(r, "actions.require_approval"),
            Member(a, "promote") is { } pr && Boolean(pr, "actions.promote"),
            canary);
    }

    private static JsonElement? Member(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static void RequireObject(JsonElement e, string path)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw MlflowException.InvalidParameter($"Parameter '{path}' must be an object.");
        }
    }

    private static string? OptionalString(JsonElement? e, string path) => e switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        _ => throw MlflowException.InvalidParameter($"Parameter '{path}' must be a string."),
    };

    private static bool Boolean(JsonElement e, string path) => e.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw MlflowException.InvalidParameter($"Parameter '{path}' must be a boolean."),
    };

    private static double Number(JsonElement e, string path) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out var d) && double.IsFinite(d)
            ? d
            : throw MlflowException.InvalidParameter($"Parameter '{path}' must be a number.");

    private static long Integer(JsonElement e, string path) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var n)
            ? n
            : throw MlflowException.InvalidParameter($"Parameter '{path}' must be an integer.");

    private static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
