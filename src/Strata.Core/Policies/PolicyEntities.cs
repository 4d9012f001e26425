namespace Strata.Core.Policies;

/// <summary>Which way a metric is better.</summary>
public enum MetricDirection
{
    /// <summary>Lower is better (rmse, loss).</summary>
    Min,

    /// <summary>Higher is better (accuracy, auc).</summary>
    Max,
}

/// <summary>
/// The gate a new version passes before any action: its source run's <see cref="Metric"/> must beat the current
/// <c>@<see cref="ChampionAlias"/></c>'s by at least <see cref="MinImprovement"/> (relative: 0.02 is 2 %), optionally
/// measured on the same evaluation data set (both runs logged a data set input with the same digest).
/// </summary>
public sealed record PolicyGate(string Metric, MetricDirection Direction, double MinImprovement = 0, string ChampionAlias = PolicyGate.DefaultChampionAlias, bool SameDataset = false)
{
    public const string DefaultChampionAlias = "champion";
}

/// <summary>
/// A canary step: the candidate gets <see cref="Percent"/> % of deployment <see cref="Deployment"/>'s traffic; after
/// <see cref="MinRequests"/> requests its error rate and latency p99 are compared with the rest of the traffic (the
/// champion's). It passes when its error rate is at most the champion's + <see cref="MaxErrorRateIncrease"/> (absolute)
/// and its p99 at most the champion's × (1 + <see cref="MaxLatencyIncrease"/>).
/// </summary>
public sealed record CanaryAction(string Deployment, double Percent, long MinRequests, double MaxErrorRateIncrease = 0, double MaxLatencyIncrease = 0);

/// <summary>
/// What happens to a version that passes the gate: optionally wait for a person (<see cref="RequireApproval"/>), then
/// set <see cref="SetAlias"/> (e.g. <c>challenger</c>), then either run a <see cref="Canary"/> and move the champion
/// alias and the route when it passes, or move the champion alias at once (<see cref="Promote"/>).
/// </summary>
public sealed record PolicyActions(string? SetAlias = null, bool RequireApproval = false, bool Promote = false, CanaryAction? Canary = null);

/// <summary>What a policy declares (the create/update body).</summary>
public sealed record PolicySpec(string Name, string ModelName, PolicyGate Gate, PolicyActions Actions, string? Description = null, bool Enabled = true);

/// <summary>A stored policy.</summary>
public sealed record Policy(string Id, PolicySpec Spec, long CreationTimestamp, long LastUpdatedTimestamp);

/// <summary>Where a decision stands. The first three are waiting for the engine; the rest are settled or waiting for a person.</summary>
public enum DecisionStatus
{
    /// <summary>Created from a new version (or on demand); the gate has not run yet.</summary>
    PENDING_EVALUATION,

    /// <summary>A person approved it; the actions run next.</summary>
    APPROVED,

    /// <summary>The candidate serves its canary share; waiting for enough requests.</summary>
    CANARY,

    /// <summary>Passed the gate; waiting for approve or reject.</summary>
    PENDING_APPROVAL,

    /// <summary>Passed; the alias was set, no promotion asked for.</summary>
    ACCEPTED,

    /// <summary>The champion alias (and route) now point at the candidate.</summary>
    PROMOTED,

    /// <summary>The gate said no (including a missing metric).</summary>
    REFUSED,

    /// <summary>A person said no.</summary>
    REJECTED,

    /// <summary>The canary did worse than the champion; the route was restored.</summary>
    ROLLED_BACK,

    /// <summary>An action could not be carried out (deployment gone, changed under the canary, ...).</summary>
    FAILED,
}

/// <summary>The numbers a decision was made on (null: not reached or not applicable).</summary>
public sealed record DecisionDetails
{
    public string? Metric { get; init; }

    public string? RunId { get; init; }

    public double? CandidateValue { get; init; }

    public long? ChampionVersion { get; init; }

    public double? ChampionValue { get; init; }

    /// <summary>Relative improvement over the champion (0.05 = 5 % better).</summary>
    public double? Improvement { get; init; }

    public string? Deployment { get; init; }

    /// <summary>The deployment revision before the canary, restored on a rollback.</summary>
    public long? RevisionBefore { get; init; }

    public long? CanaryRevision { get; init; }

    public long? CanaryStartedAt { get; init; }

    public long? CandidateRequests { get; init; }

    public double? CandidateErrorRate { get; init; }

    public double? CandidateLatencyP99Ms { get; init; }

    public long? ChampionRequests { get; init; }

    public double? ChampionErrorRate { get; init; }

    public double? ChampionLatencyP99Ms { get; init; }

    public static DecisionDetails Empty { get; } = new();
}

/// <summary>
/// One decision of one policy about one model version, with the reasons in the order they were found. A decision
/// made for a new version carries the registry event it came from (unique per policy, so it is made once).
/// </summary>
public sealed record PolicyDecision(
    string Id,
    string PolicyId,
    string ModelName,
    long Version,
    long? EventId,
    DecisionStatus Status,
    IReadOnlyList<string> Reasons,
    DecisionDetails Details,
    long CreatedAt,
    long UpdatedAt,
    string? DecidedBy)
{
    /// <summary>Statuses the engine still works on.</summary>
    public static IReadOnlyList<DecisionStatus> Active { get; } = [DecisionStatus.PENDING_EVALUATION, DecisionStatus.APPROVED, DecisionStatus.CANARY];
}

/// <summary>The event type of a decision in the registry event log (delivered as webhook <c>policy.decided</c>).</summary>
public static class PolicyEventTypes
{
    public const string Decided = "policy.decided";
}
