using Strata.Core.Deployments;
using Strata.Core.Errors;
using Strata.Core.Registry;
using Strata.Core.Tracking;

namespace Strata.Core.Policies;

/// <summary>The policy API's rules: validation against the registry and deployments, not-found errors, approvals and on-demand evaluation.</summary>
public sealed class PolicyService(IPolicyStore store, PolicyEngine engine, RegistryService registry, DeploymentService deployments, TimeProvider time)
{
    /// <summary>How long an on-demand evaluation holds its decision (the background engine uses its own setting).</summary>
    public static readonly TimeSpan OnDemandLease = TimeSpan.FromMinutes(2);

    /// <summary>How long an on-demand call waits for a step another process is taking on the same decision.</summary>
    private static readonly TimeSpan SettleWait = TimeSpan.FromSeconds(10);

    public IPolicyStore Store => store;

    public PolicyEngine Engine => engine;

    public async Task<Policy> CreateAsync(PolicySpec spec, CancellationToken ct)
    {
        await ValidateAsync(spec, ct).ConfigureAwait(false);
        return await store.CreateAsync(spec, Now(), ct).ConfigureAwait(false);
    }

    public async Task<Policy> GetAsync(string? id, CancellationToken ct) =>
        await store.GetAsync(RequireId(id), ct).ConfigureAwait(false) ?? throw NotFound(id!);

    public Task<Page<Policy>> ListAsync(string? modelName, long? maxResults, string? pageToken, CancellationToken ct) =>
        store.ListAsync(string.IsNullOrEmpty(modelName) ? null : modelName, PolicyValidation.PageSize(maxResults), pageToken, ct);

    /// <summary>Applies <paramref name="change"/> to the current spec (fields not given keep their value).</summary>
    public async Task<Policy> UpdateAsync(string? id, Func<PolicySpec, PolicySpec> change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        var current = await GetAsync(id, ct).ConfigureAwait(false);
        var spec = change(current.Spec);
        await ValidateAsync(spec, ct).ConfigureAwait(false);
        return await store.UpdateAsync(current.Id, spec, Now(), ct).ConfigureAwait(false) ?? throw NotFound(current.Id);
    }

    public async Task DeleteAsync(string? id, CancellationToken ct)
    {
        if (!await store.DeleteAsync(RequireId(id), Now(), ct).ConfigureAwait(false))
        {
            throw NotFound(id!);
        }
    }

    public async Task<Page<PolicyDecision>> ListDecisionsAsync(string? id, long? maxResults, string? pageToken, CancellationToken ct)
    {
        var policy = await GetAsync(id, ct).ConfigureAwait(false);
        return await store.ListDecisionsAsync(policy.Id, PolicyValidation.PageSize(maxResults), pageToken, ct).ConfigureAwait(false);
    }

    public async Task<PolicyDecision> GetDecisionAsync(string? id, string? decisionId, CancellationToken ct)
    {
        var policy = await GetAsync(id, ct).ConfigureAwait(false);
        if (string.IsNullOrEmpty(decisionId))
        {
            throw MlflowException.MissingParameter("decision_id");
        }

        var decision = await store.GetDecisionAsync(decisionId, ct).ConfigureAwait(false);
        return decision is not null && decision.PolicyId == policy.Id
            ? decision
            : throw MlflowException.NotFound($"Policy {policy.Id} has no decision {decisionId}.");
    }

    /// <summary>
    /// Evaluates <paramref name="version"/> (default: the newest version) now, as a new decision, and carries it as far
    /// as it goes at once (to a settled status, an approval wait or a running canary).
    /// </summary>
    public async Task<PolicyDecision> EvaluateAsync(string? id, string? version, CancellationToken ct)
    {
        var policy = await GetAsync(id, ct).ConfigureAwait(false);
        long number;
        if (string.IsNullOrEmpty(version))
        {
            number = (await registry.GetModelVersionByAliasAsync(policy.Spec.ModelName, "latest", ct).ConfigureAwait(false)).Version;
        }
        else
        {
            number = RegistryValidation.ParseVersion(version);
            _ = await registry.GetModelVersionAsync(policy.Spec.ModelName, version, ct).ConfigureAwait(false);
        }

        var decision = await store.CreateDecisionAsync(policy.Id, policy.Spec.ModelName, number, Now(), ct).ConfigureAwait(false);
        return await RunNowAsync(decision, ct).ConfigureAwait(false);
    }

    /// <summary>Approves a decision waiting for approval and runs its actions now.</summary>
    public async Task<PolicyDecision> ApproveAsync(string? id, string? decisionId, string? user, string? comment, CancellationToken ct)
    {
        var (policy, decision) = await PendingAsync(id, decisionId, "approved", ct).ConfigureAwait(false);
        var reason = $"Approved by {user ?? "an anonymous user"}{(string.IsNullOrEmpty(comment) ? "." : ": " + comment)}";
        var saved = await engine.SaveAsync(policy, decision, DecisionStatus.APPROVED, [.. decision.Reasons, reason], decision.Details, user ?? "anonymous", ct).ConfigureAwait(false);
        if (saved.Status != DecisionStatus.APPROVED)
        {
            return saved;
        }

        return await RunNowAsync(saved, ct).ConfigureAwait(false);
    }

    /// <summary>Rejects a decision waiting for approval: settled, nothing is changed.</summary>
    public async Task<PolicyDecision> RejectAsync(string? id, string? decisionId, string? user, string? comment, CancellationToken ct)
    {
        var (policy, decision) = await PendingAsync(id, decisionId, "rejected", ct).ConfigureAwait(false);
        var reason = $"Rejected by {user ?? "an anonymous user"}{(string.IsNullOrEmpty(comment) ? "." : ": " + comment)}";
        return await engine.SaveAsync(policy, decision, DecisionStatus.REJECTED, [.. decision.Reasons, reason], decision.Details, user ?? "anonymous", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Works on the decision now; when the background engine took it first, waits (briefly) for that engine's step, so
    /// the caller sees the outcome rather than the state it just left.
    /// </summary>
    private async Task<PolicyDecision> RunNowAsync(PolicyDecision decision, CancellationToken ct)
    {
        var current = await engine.RunOneAsync(decision.Id, (long)OnDemandLease.TotalMilliseconds, ct).ConfigureAwait(false) ?? decision;
        var deadline = time.GetUtcNow() + SettleWait;
        while (current.Status is DecisionStatus.PENDING_EVALUATION or DecisionStatus.APPROVED && time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, ct).ConfigureAwait(false);
            current = await store.GetDecisionAsync(decision.Id, ct).ConfigureAwait(false) ?? current;
        }

        return current;
    }

    private async Task<(Policy, PolicyDecision)> PendingAsync(string? id, string? decisionId, string what, CancellationToken ct)
    {
        var policy = await GetAsync(id, ct).ConfigureAwait(false);
        var decision = await GetDecisionAsync(policy.Id, decisionId, ct).ConfigureAwait(false);
        if (decision.Status != DecisionStatus.PENDING_APPROVAL)
        {
            throw new MlflowException(ErrorCode.RESOURCE_CONFLICT, $"Decision {decision.Id} is {decision.Status}, not PENDING_APPROVAL: it cannot be {what}.");
        }

        return (policy, decision);
    }

    private async Task ValidateAsync(PolicySpec spec, CancellationToken ct)
    {
        PolicyValidation.Validate(spec);
        if (await registry.Store.GetRegisteredModelAsync(spec.ModelName, ct).ConfigureAwait(false) is null)
        {
            throw MlflowException.InvalidParameter($"Parameter 'model_name': registered model '{spec.ModelName}' does not exist.");
        }

        if (spec.Actions.Canary is { } canary && await deployments.Store.GetAsync(canary.Deployment, ct).ConfigureAwait(false) is null)
        {
            throw MlflowException.InvalidParameter($"Parameter 'actions.canary.deployment': deployment '{canary.Deployment}' does not exist.");
        }
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    private static string RequireId(string? id) => string.IsNullOrEmpty(id) ? throw MlflowException.MissingParameter("policy_id") : id;

    private static MlflowException NotFound(string id) => MlflowException.NotFound($"Policy with ID {id} not found.");
}
