using System.Globalization;
using Strata.Core.Deployments;
using Strata.Core.Errors;
using Strata.Core.Registry;
using Strata.Core.Tracking;

namespace Strata.Core.Policies;

/// <summary>
/// Works decisions forward: a pending one runs through the gate (refused, waiting for approval, or acted on); an
/// approved one is acted on; a canary is checked against the service metrics and ends promoted or rolled back. Every
/// status change is saved with its reasons and a <c>policy.decided</c> event in one transaction. Registry and deployment
/// writes are attributed to <c>policy:&lt;name&gt;</c>.
/// </summary>
public sealed class PolicyEngine(
    IPolicyStore store, RegistryService registry, ITrackingStore tracking, DeploymentService deployments, IServiceMetricsStore metrics, TimeProvider time)
{
    private const int EventsPerRound = 500;
    private const int DecisionsPerRound = 32;

    /// <summary>One round: every new version becomes a decision, then every claimable decision is worked on. Returns those worked on.</summary>
    public async Task<IReadOnlyList<PolicyDecision>> RunRoundAsync(long leaseMs, CancellationToken ct)
    {
        while (await store.EnqueueAsync(EventsPerRound, Now(), ct).ConfigureAwait(false) == EventsPerRound)
        {
        }

        var done = new List<PolicyDecision>();
        IReadOnlyList<PolicyDecision> claimed;
        do
        {
            claimed = await store.ClaimAsync(Now(), leaseMs, DecisionsPerRound, null, ct).ConfigureAwait(false);
            foreach (var d in claimed)
            {
                done.Add(await ProcessAsync(d, ct).ConfigureAwait(false));
            }
        }
        while (claimed.Count == DecisionsPerRound);

        return done;
    }

    /// <summary>Works on one decision now if nobody else holds it; returns it as it stands afterwards.</summary>
    public async Task<PolicyDecision?> RunOneAsync(string decisionId, long leaseMs, CancellationToken ct)
    {
        var claimed = await store.ClaimAsync(Now(), leaseMs, 1, decisionId, ct).ConfigureAwait(false);
        return claimed.Count == 1
            ? await ProcessAsync(claimed[0], ct).ConfigureAwait(false)
            : await store.GetDecisionAsync(decisionId, ct).ConfigureAwait(false);
    }

    /// <summary>Saves a new state of <paramref name="before"/>; a status change appends the <c>policy.decided</c> event. Returns what is stored.</summary>
    internal async Task<PolicyDecision> SaveAsync(
        Policy policy, PolicyDecision before, DecisionStatus status, IEnumerable<string> reasons, DecisionDetails details, string? decidedBy, CancellationToken ct)
    {
        var after = before with { Status = status, Reasons = reasons.ToList(), Details = details, UpdatedAt = Now(), DecidedBy = decidedBy ?? before.DecidedBy };
        var payload = status != before.Status ? PolicyJson.DecidedPayload(policy, after) : null;
        if (await store.SaveAsync(after, before.Status, payload, ct).ConfigureAwait(false))
        {
            return after;
        }

        // Someone else moved it first (an approval racing a rejection): theirs stands.
        return await store.GetDecisionAsync(before.Id, ct).ConfigureAwait(false) ?? after;
    }

    private async Task<PolicyDecision> ProcessAsync(PolicyDecision d, CancellationToken ct)
    {
        var policy = await store.GetAsync(d.PolicyId, ct).ConfigureAwait(false);
        if (policy is null)
        {
            return d;
        }

        try
        {
            return d.Status switch
            {
                DecisionStatus.PENDING_EVALUATION => await EvaluateAsync(policy, d, ct).ConfigureAwait(false),
                DecisionStatus.APPROVED => await ActAsync(policy, d, d.Reasons, d.Details, ct).ConfigureAwait(false),
                DecisionStatus.CANARY => await CheckCanaryAsync(policy, d, ct).ConfigureAwait(false),
                _ => d,
            };
        }
        catch (MlflowException e)
        {
            // A registry or deployment write refused (alias rules, deployment gone or changed): recorded, never retried blindly.
            return await SaveAsync(policy, d, DecisionStatus.FAILED, [.. d.Reasons, $"Action failed: {e.Message}"], d.Details, null, ct).ConfigureAwait(false);
        }
    }

    private async Task<PolicyDecision> EvaluateAsync(Policy policy, PolicyDecision d, CancellationToken ct)
    {
        var gate = policy.Spec.Gate;
        var version = await registry.Store.GetModelVersionAsync(d.ModelName, d.Version, ct).ConfigureAwait(false);
        if (version is null)
        {
            return await SaveAsync(policy, d, DecisionStatus.REFUSED, [$"Version {d.Version} of model '{d.ModelName}' does not exist (any more)."], d.Details, null, ct).ConfigureAwait(false);
        }

        var run = version.RunId is { } runId ? await tracking.GetRunAsync(runId, ct).ConfigureAwait(false) : null;
        var champion = await registry.Store.GetModelVersionByAliasAsync(d.ModelName, gate.ChampionAlias, ct).ConfigureAwait(false);
        var championRun = champion?.RunId is { } championRunId ? await tracking.GetRunAsync(championRunId, ct).ConfigureAwait(false) : null;
        var verdict = GateEvaluation.Evaluate(gate, d.Version, version.RunId, run, champion?.Version, championRun);
        if (!verdict.Passed)
        {
            return await SaveAsync(policy, d, DecisionStatus.REFUSED, verdict.Reasons, verdict.Details, null, ct).ConfigureAwait(false);
        }

        if (policy.Spec.Actions.RequireApproval)
        {
            return await SaveAsync(policy, d, DecisionStatus.PENDING_APPROVAL, [.. verdict.Reasons, "Passed the gate; waiting for approval."], verdict.Details, null, ct)
                .ConfigureAwait(false);
        }

        return await ActAsync(policy, d, verdict.Reasons, verdict.Details, ct).ConfigureAwait(false);
    }

    private async Task<PolicyDecision> ActAsync(Policy policy, PolicyDecision d, IReadOnlyList<string> gateReasons, DecisionDetails details, CancellationToken ct)
    {
        var actions = policy.Spec.Actions;
        var reasons = gateReasons.ToList();
        var actor = Actor(policy);
        var version = d.Version.ToString(CultureInfo.InvariantCulture);
        if (actions.SetAlias is { } alias)
        {
            await registry.SetAliasAsync(d.ModelName, alias, version, actor, ct).ConfigureAwait(false);
            reasons.Add($"Set @{alias} to version {version}.");
        }

        if (actions.Canary is { } canary)
        {
            var deployment = await deployments.GetAsync(canary.Deployment, ct).ConfigureAwait(false);
            var spec = deployment.Current.Spec;
            var share = (100 - canary.Percent) / 100;
            var route = spec.Route.Where(t => !IsCandidate(t.Model, d)).Select(t => t with { Weight = t.Weight * share }).ToList();
            if (route.Count == 0)
            {
                throw MlflowException.InvalidParameter($"Deployment '{canary.Deployment}' serves nothing but version {version}: there is no champion to compare a canary with.");
            }

            // Weights must add up to 100: give the candidate whatever the scaled route leaves.
            route.Add(new RouteTarget(new ModelTarget(d.ModelName, d.Version, null), 100 - route.Sum(t => t.Weight)));
            var updated = await deployments.UpdateAsync(canary.Deployment, deployment.CurrentRevision, spec with { Route = route }, actor, ct).ConfigureAwait(false);
            reasons.Add($"Routed {Text(canary.Percent)} % of deployment '{canary.Deployment}' to version {version} (revision {updated.CurrentRevision}); " +
                $"deciding after {canary.MinRequests} requests.");
            details = details with
            {
                Deployment = canary.Deployment,
                RevisionBefore = deployment.CurrentRevision,
                CanaryRevision = updated.CurrentRevision,
                CanaryStartedAt = Now(),
            };
            return await SaveAsync(policy, d, DecisionStatus.CANARY, reasons, details, null, ct).ConfigureAwait(false);
        }

        if (actions.Promote)
        {
            await registry.SetAliasAsync(d.ModelName, policy.Spec.Gate.ChampionAlias, version, actor, ct).ConfigureAwait(false);
            reasons.Add($"Moved @{policy.Spec.Gate.ChampionAlias} to version {version}.");
            return await SaveAsync(policy, d, DecisionStatus.PROMOTED, reasons, details, null, ct).ConfigureAwait(false);
        }

        return await SaveAsync(policy, d, DecisionStatus.ACCEPTED, reasons, details, null, ct).ConfigureAwait(false);
    }

    private async Task<PolicyDecision> CheckCanaryAsync(Policy policy, PolicyDecision d, CancellationToken ct)
    {
        var canary = policy.Spec.Actions.Canary;
        var details = d.Details;
        if (canary is null || details.Deployment is null || details.CanaryStartedAt is not { } started || details.RevisionBefore is not { } before || details.CanaryRevision is not { } canaryRevision)
        {
            return await SaveAsync(policy, d, DecisionStatus.FAILED, [.. d.Reasons, "The policy no longer has a canary step for this decision's deployment."], details, null, ct)
                .ConfigureAwait(false);
        }

        var now = Now();
        var rows = await metrics.ReadAsync(details.Deployment, MetricsResolution.Minute, ServiceMetricsMerge.BucketStart(started, MetricsResolution.Minute), now + 60_000, ct)
            .ConfigureAwait(false);
        var version = d.Version.ToString(CultureInfo.InvariantCulture);
        var candidate = Totals.Of(rows.Where(r => !r.Shadow && r.ModelName == d.ModelName && r.ModelVersion == version));
        var champion = Totals.Of(rows.Where(r => !r.Shadow && !(r.ModelName == d.ModelName && r.ModelVersion == version)));
        details = details with
        {
            CandidateRequests = candidate.Requests,
            CandidateErrorRate = candidate.ErrorRate,
            CandidateLatencyP99Ms = candidate.LatencyP99Ms,
            ChampionRequests = champion.Requests,
            ChampionErrorRate = champion.ErrorRate,
            ChampionLatencyP99Ms = champion.LatencyP99Ms,
        };
        if (candidate.Requests < canary.MinRequests)
        {
            return await SaveAsync(policy, d, DecisionStatus.CANARY, d.Reasons, details, null, ct).ConfigureAwait(false);
        }

        var errorLimit = champion.ErrorRate + canary.MaxErrorRateIncrease;
        var latencyLimit = champion.LatencyP99Ms * (1 + canary.MaxLatencyIncrease);
        var errorOk = candidate.ErrorRate <= errorLimit;
        var latencyOk = champion.Requests == 0 || candidate.LatencyP99Ms <= latencyLimit;
        var reasons = d.Reasons.ToList();
        reasons.Add(
            $"Canary after {candidate.Requests} requests: error rate {Text(candidate.ErrorRate)} against the champion's {Text(champion.ErrorRate)} " +
            $"(limit {Text(errorLimit)}), latency p99 {Text(candidate.LatencyP99Ms)} ms against {Text(champion.LatencyP99Ms)} ms " +
            (champion.Requests == 0 ? "(the champion served nothing in the window, so latency was not compared)." : $"(limit {Text(latencyLimit)} ms)."));
        var actor = Actor(policy);
        if (!errorOk || !latencyOk)
        {
            await deployments.RollbackAsync(details.Deployment, before, canaryRevision, actor, ct).ConfigureAwait(false);
            reasons.Add($"The canary did worse ({(errorOk ? "latency" : latencyOk ? "error rate" : "error rate and latency")}): deployment '{details.Deployment}' rolled back to revision {before}'s route.");
            return await SaveAsync(policy, d, DecisionStatus.ROLLED_BACK, reasons, details, null, ct).ConfigureAwait(false);
        }

        var alias = policy.Spec.Gate.ChampionAlias;
        var deployment = await deployments.GetAsync(details.Deployment, ct).ConfigureAwait(false);
        var original = await deployments.GetRevisionAsync(details.Deployment, before, ct).ConfigureAwait(false);
        var promotedRoute = PromotedRoute(original.Spec.Route, d, alias) ?? deployment.Current.Spec.Route;
        var moved = await deployments.UpdateAsync(details.Deployment, canaryRevision, deployment.Current.Spec with { Route = promotedRoute }, actor, ct).ConfigureAwait(false);
        await registry.SetAliasAsync(d.ModelName, alias, version, actor, ct).ConfigureAwait(false);
        reasons.Add($"Moved @{alias} to version {version} and deployment '{details.Deployment}' to route {string.Join(", ", promotedRoute.Select(t => $"{t.Model} {Text(t.Weight)} %"))} (revision {moved.CurrentRevision}).");
        return await SaveAsync(policy, d, DecisionStatus.PROMOTED, reasons, details, null, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The route after a passed canary: the pre-canary route with this model's targets replaced by one target holding
    /// their weight: <c>@champion</c> when the route followed the alias (the alias now names the candidate), else the
    /// candidate by number. Null when the route never served this model (the canary split then stays).
    /// </summary>
    private static List<RouteTarget>? PromotedRoute(IReadOnlyList<RouteTarget> original, PolicyDecision d, string championAlias)
    {
        var mine = original.Where(t => t.Model.ModelName == d.ModelName).ToList();
        if (mine.Count == 0)
        {
            return null;
        }

        var target = mine.Any(t => t.Model.Alias == championAlias) ? new ModelTarget(d.ModelName, null, championAlias) : new ModelTarget(d.ModelName, d.Version, null);
        var route = original.Where(t => t.Model.ModelName != d.ModelName).ToList();
        route.Add(new RouteTarget(target, 100 - route.Sum(t => t.Weight)));
        return route;
    }

    private static bool IsCandidate(ModelTarget t, PolicyDecision d) => t.ModelName == d.ModelName && t.Version == d.Version;

    private static string Actor(Policy policy) => $"policy:{policy.Spec.Name}";

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    private static string Text(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>Requests, error rate and p99 (ms) of a set of metric rows, merged across versions and replicas.</summary>
    private sealed record Totals(long Requests, double ErrorRate, double LatencyP99Ms)
    {
        public static Totals Of(IEnumerable<ServiceMetricsRow> rows)
        {
            var sketch = new LatencySketch();
            long requests = 0, errors = 0;
            foreach (var r in rows)
            {
                sketch.Merge(r.Latency);
                requests += r.Requests;
                errors += r.Errors;
            }

            return new Totals(requests, requests == 0 ? 0 : (double)errors / requests, requests == 0 ? 0 : sketch.Quantile(0.99) / 1000.0);
        }
    }
}
