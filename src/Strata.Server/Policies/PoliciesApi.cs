using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Strata.Core.Errors;
using Strata.Core.Policies;
using Strata.Server.Hosting;
using Strata.Server.Wire;

namespace Strata.Server.Policies;

/// <summary>
/// Promotion policies under <c>/api/2.0/strata/policies</c>, resource style: <c>POST</c> creates, <c>GET</c> lists
/// (<c>?model_name=</c>), <c>GET|PATCH|DELETE /{id}</c>, <c>GET /{id}/decisions[/{decision_id}]</c>,
/// <c>POST /{id}/decisions/{decision_id}/approve|reject</c> and <c>POST /{id}/evaluate</c>. Bodies and answers use
/// <see cref="PolicyJson"/>'s form.
/// </summary>
public static class PoliciesApi
{
    public const string Prefix = "/api/2.0/strata/policies";

    private static readonly JsonEncodedText PoliciesName = JsonEncodedText.Encode("policies");
    private static readonly JsonEncodedText DecisionsName = JsonEncodedText.Encode("decisions");

    public static IEndpointRouteBuilder MapPoliciesApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup(Prefix).WithTags("Policies");
        g.DisabledWhenArtifactsOnly(app.ServiceProvider);

        g.MapPost("", Create);
        g.MapGet("", List);
        g.MapGet("{policy_id}", Get);
        g.MapPatch("{policy_id}", Update);
        g.MapDelete("{policy_id}", Delete);
        g.MapGet("{policy_id}/decisions", Decisions);
        g.MapGet("{policy_id}/decisions/{decision_id}", Decision);
        g.MapPost("{policy_id}/decisions/{decision_id}/approve", Approve);
        g.MapPost("{policy_id}/decisions/{decision_id}/reject", Reject);
        g.MapPost("{policy_id}/evaluate", Evaluate);
        return app;
    }

    private static async Task<IResult> Create(HttpContext ctx, PolicyService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        return PolicyResult(await service.CreateAsync(PolicyJson.ReadSpec(Members(r)), ctx.RequestAborted));
    }

    private static async Task<IResult> List(HttpContext ctx, PolicyService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        var page = await service.ListAsync(r.String("model_name"), r.Int64("max_results"), r.String("page_token"), ctx.RequestAborted);
        return WireResults.Page(page, PoliciesName, PolicyJson.WritePolicy);
    }

    private static async Task<IResult> Get(string policy_id, PolicyService service, CancellationToken ct) =>
        PolicyResult(await service.GetAsync(policy_id, ct));

    private static async Task<IResult> Update(string policy_id, HttpContext ctx, PolicyService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        var members = Members(r);
        return PolicyResult(await service.UpdateAsync(policy_id, current => PolicyJson.ReadSpec(members, current), ctx.RequestAborted));
    }

    private static async Task<IResult> Delete(string policy_id, PolicyService service, CancellationToken ct)
    {
        await service.DeleteAsync(policy_id, ct);
        return WireResults.Empty;
    }

    private static async Task<IResult> Decisions(string policy_id, HttpContext ctx, PolicyService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        var page = await service.ListDecisionsAsync(policy_id, r.Int64("max_results"), r.String("page_token"), ctx.RequestAborted);
        return WireResults.Page(page, DecisionsName, PolicyJson.WriteDecision);
    }

    private static async Task<IResult> Decision(string policy_id, string decision_id, PolicyService service, CancellationToken ct) =>
        DecisionResult(await service.GetDecisionAsync(policy_id, decision_id, ct));

    private static async Task<IResult> Approve(string policy_id, string decision_id, HttpContext ctx, PolicyService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        return DecisionResult(await service.ApproveAsync(policy_id, decision_id, User(ctx, r), r.String("comment"), ctx.RequestAborted));
    }

    private static async Task<IResult> Reject(string policy_id, string decision_id, HttpContext ctx, PolicyService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        return DecisionResult(await service.RejectAsync(policy_id, decision_id, User(ctx, r), r.String("comment"), ctx.RequestAborted));
    }

    private static async Task<IResult> Evaluate(string policy_id, HttpContext ctx, PolicyService service)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        var version = r.TryGetElement("version", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetRawText() : r.String("version");
        return DecisionResult(await service.EvaluateAsync(policy_id, version, ctx.RequestAborted));
    }

    private static Func<string, JsonElement?> Members(WireRequest r) =>
        name => r.TryGetElement(name, out var e) ? e : null;

    /// <summary>The authenticated user, else the body's <c>user</c> (a name for the record, as MLflow's <c>user_id</c> fields are).</summary>
    private static string? User(HttpContext ctx, WireRequest r) =>
        ctx.User.Identity?.IsAuthenticated == true ? ctx.User.Identity.Name : r.String("user");

    private static IResult PolicyResult(Policy policy) =>
        WireResults.Object(policy, static (w, p) =>
        {
            w.WritePropertyName("policy"u8);
            PolicyJson.WritePolicy(w, p);
        });

    private static IResult DecisionResult(PolicyDecision decision) =>
        WireResults.Object(decision, static (w, d) =>
        {
            w.WritePropertyName("decision"u8);
            PolicyJson.WriteDecision(w, d);
        });
}
