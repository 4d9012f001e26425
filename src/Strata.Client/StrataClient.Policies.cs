using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Strata.Client.Http;
using Strata.Core.Policies;
using Strata.Core.Tracking;

namespace Strata.Client;

/// <summary>
/// Promotion policies (<c>/api/2.0/strata/policies</c>): a gate on a new version's metric against <c>@champion</c>,
/// then actions (an alias, approval, a canary, promotion); every decision with its reasons.
/// </summary>
public sealed partial class StrataClient
{
    internal const string PoliciesPrefix = "api/2.0/strata/policies";

    public async Task<Policy> CreatePolicyAsync(PolicySpec spec, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var doc = await SendPoliciesAsync(HttpMethod.Post, "", null, Json(w =>
        {
            w.WriteStartObject();
            PolicyJson.WriteSpecMembers(w, spec);
            w.WriteEndObject();
        }), idempotent: false, ct).ConfigureAwait(false);
        return PolicyJson.ReadPolicy(doc.RootElement.GetProperty("policy"));
    }

    public async Task<Policy> GetPolicyAsync(string policyId, CancellationToken ct = default)
    {
        using var doc = await SendPoliciesAsync(HttpMethod.Get, "/" + Uri.EscapeDataString(policyId), null, null, idempotent: true, ct).ConfigureAwait(false);
        return PolicyJson.ReadPolicy(doc.RootElement.GetProperty("policy"));
    }

    public async Task<Page<Policy>> ListPoliciesPageAsync(string? modelName = null, int? maxResults = null, string? pageToken = null, CancellationToken ct = default)
    {
        var query = new Query().Add("model_name", modelName).Add("max_results", maxResults?.ToString(CultureInfo.InvariantCulture)).Add("page_token", pageToken);
        using var doc = await SendPoliciesAsync(HttpMethod.Get, "", query, null, idempotent: true, ct).ConfigureAwait(false);
        return ReadPage(doc.RootElement, "policies", PolicyJson.ReadPolicy);
    }

    public IAsyncEnumerable<Policy> ListPoliciesAsync(string? modelName = null, CancellationToken ct = default) =>
        Paginate<Policy>((token, c) => ListPoliciesPageAsync(modelName, null, token, c), ct);

    /// <summary>Replaces the policy's spec with <paramref name="spec"/> (its model cannot change).</summary>
    public async Task<Policy> UpdatePolicyAsync(string policyId, PolicySpec spec, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var doc = await SendPoliciesAsync(HttpMethod.Patch, "/" + Uri.EscapeDataString(policyId), null, Json(w =>
        {
            w.WriteStartObject();
            PolicyJson.WriteSpecMembers(w, spec);
            w.WriteEndObject();
        }), idempotent: true, ct).ConfigureAwait(false);
        return PolicyJson.ReadPolicy(doc.RootElement.GetProperty("policy"));
    }

    public async Task DeletePolicyAsync(string policyId, CancellationToken ct = default)
    {
        using var _ = await SendPoliciesAsync(HttpMethod.Delete, "/" + Uri.EscapeDataString(policyId), null, null, idempotent: true, ct).ConfigureAwait(false);
    }

    /// <summary>Decisions newest first.</summary>
    public async Task<Page<PolicyDecision>> ListPolicyDecisionsPageAsync(string policyId, int? maxResults = null, string? pageToken = null, CancellationToken ct = default)
    {
        var query = new Query().Add("max_results", maxResults?.ToString(CultureInfo.InvariantCulture)).Add("page_token", pageToken);
        using var doc = await SendPoliciesAsync(HttpMethod.Get, "/" + Uri.EscapeDataString(policyId) + "/decisions", query, null, idempotent: true, ct).ConfigureAwait(false);
        return ReadPage(doc.RootElement, "decisions", PolicyJson.ReadDecision);
    }

    public IAsyncEnumerable<PolicyDecision> ListPolicyDecisionsAsync(string policyId, CancellationToken ct = default) =>
        Paginate<PolicyDecision>((token, c) => ListPolicyDecisionsPageAsync(policyId, null, token, c), ct);

    public async Task<PolicyDecision> GetPolicyDecisionAsync(string policyId, string decisionId, CancellationToken ct = default)
    {
        using var doc = await SendPoliciesAsync(
            HttpMethod.Get, $"/{Uri.EscapeDataString(policyId)}/decisions/{Uri.EscapeDataString(decisionId)}", null, null, idempotent: true, ct).ConfigureAwait(false);
        return PolicyJson.ReadDecision(doc.RootElement.GetProperty("decision"));
    }

    /// <summary>Approves a decision waiting for approval; its actions run at once.</summary>
    public Task<PolicyDecision> ApprovePolicyDecisionAsync(string policyId, string decisionId, string? comment = null, CancellationToken ct = default) =>
        DecideAsync(policyId, decisionId, "approve", comment, ct);

    /// <summary>Rejects a decision waiting for approval; nothing changes.</summary>
    public Task<PolicyDecision> RejectPolicyDecisionAsync(string policyId, string decisionId, string? comment = null, CancellationToken ct = default) =>
        DecideAsync(policyId, decisionId, "reject", comment, ct);

    /// <summary>Evaluates <paramref name="version"/> (default: the newest) now and returns the decision as far as it went.</summary>
    public async Task<PolicyDecision> EvaluatePolicyAsync(string policyId, long? version = null, CancellationToken ct = default)
    {
        using var doc = await SendPoliciesAsync(HttpMethod.Post, "/" + Uri.EscapeDataString(policyId) + "/evaluate", null, Json(w =>
        {
            w.WriteStartObject();
            if (version is { } v)
            {
                w.WriteString("version"u8, v.ToString(CultureInfo.InvariantCulture));
            }

            w.WriteEndObject();
        }), idempotent: false, ct).ConfigureAwait(false);
        return PolicyJson.ReadDecision(doc.RootElement.GetProperty("decision"));
    }

    private async Task<PolicyDecision> DecideAsync(string policyId, string decisionId, string verb, string? comment, CancellationToken ct)
    {
        using var doc = await SendPoliciesAsync(HttpMethod.Post, $"/{Uri.EscapeDataString(policyId)}/decisions/{Uri.EscapeDataString(decisionId)}/{verb}", null, Json(w =>
        {
            w.WriteStartObject();
            if (comment is not null)
            {
                w.WriteString("comment"u8, comment);
            }

            w.WriteEndObject();
        }), idempotent: false, ct).ConfigureAwait(false);
        return PolicyJson.ReadDecision(doc.RootElement.GetProperty("decision"));
    }

    private async Task<JsonDocument> SendPoliciesAsync(HttpMethod method, string path, Query? query, byte[]? body, bool idempotent, CancellationToken ct)
    {
        using var request = NewRequest(method, new Uri(_baseUri, PoliciesPrefix + path + (query?.ToString() ?? "")), idempotent);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using var response = await SendRawAsync(request, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        return JsonDocument.Parse(bytes.Length == 0 ? "{}"u8.ToArray() : bytes);
    }
}
