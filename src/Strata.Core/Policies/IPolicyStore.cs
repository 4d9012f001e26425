using Strata.Core.Tracking;

namespace Strata.Core.Policies;

/// <summary>
/// Policies and their decisions. New versions reach policies through the registry's event log: <see cref="EnqueueAsync"/>
/// reads <c>model_version.created</c> events past a stored cursor and creates one decision per (policy, event), unique,
/// in the same transaction that moves the cursor, so a restart neither loses nor repeats one. <see cref="ClaimAsync"/>
/// leases decisions the engine still works on, so with several replicas one works on each at a time.
/// </summary>
public interface IPolicyStore
{
    /// <summary>Throws RESOURCE_ALREADY_EXISTS when a live policy of the model has the name.</summary>
    Task<Policy> CreateAsync(PolicySpec spec, long now, CancellationToken ct);

    Task<Policy?> GetAsync(string id, CancellationToken ct);

    /// <summary>Policies oldest first, optionally of one model.</summary>
    Task<Page<Policy>> ListAsync(string? modelName, int maxResults, string? pageToken, CancellationToken ct);

    /// <summary>Replaces the spec; null when there is no such policy; RESOURCE_ALREADY_EXISTS when the new name is taken.</summary>
    Task<Policy?> UpdateAsync(string id, PolicySpec spec, long now, CancellationToken ct);

    /// <summary>Soft delete (its decisions stay readable; its open ones are never worked on again); false when unknown.</summary>
    Task<bool> DeleteAsync(string id, long now, CancellationToken ct);

    /// <summary>Turns up to <paramref name="maxEvents"/> new registry events into decisions; returns how many events it read.</summary>
    Task<int> EnqueueAsync(int maxEvents, long now, CancellationToken ct);

    /// <summary>A decision asked for on demand (no event): pending evaluation.</summary>
    Task<PolicyDecision> CreateDecisionAsync(string policyId, string modelName, long version, long now, CancellationToken ct);

    Task<PolicyDecision?> GetDecisionAsync(string decisionId, CancellationToken ct);

    /// <summary>Decisions of a policy, newest first.</summary>
    Task<Page<PolicyDecision>> ListDecisionsAsync(string policyId, int maxResults, string? pageToken, CancellationToken ct);

    /// <summary>
    /// Leases up to <paramref name="max"/> active decisions of live policies whose lease ran out (only
    /// <paramref name="decisionId"/> when given) until now + <paramref name="leaseMs"/>.
    /// </summary>
    Task<IReadOnlyList<PolicyDecision>> ClaimAsync(long now, long leaseMs, int max, string? decisionId, CancellationToken ct);

    /// <summary>
    /// Writes the decision's new state and releases its lease, only while it is still in <paramref name="expected"/>
    /// (false otherwise). When the status changes, a <c>policy.decided</c> event with <paramref name="eventPayload"/>
    /// is appended in the same transaction.
    /// </summary>
    Task<bool> SaveAsync(PolicyDecision decision, DecisionStatus expected, string? eventPayload, CancellationToken ct);
}
