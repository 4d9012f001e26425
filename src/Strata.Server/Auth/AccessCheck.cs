using Microsoft.AspNetCore.Http;
using Strata.Server.Wire;

namespace Strata.Server.Auth;

/// <summary>
/// One request under authorization: the caller, and the request's fields as the handler will see them. Body fields
/// come from the same parsed <see cref="WireRequest"/> the handler later reuses, so the body is read once.
/// </summary>
public sealed class AccessCheck(HttpContext http, StrataUser user, AccessResolver resolver)
{
    public HttpContext Http => http;

    public StrataUser User => user;

    public AccessResolver Resolver => resolver;

    public CancellationToken Aborted => http.RequestAborted;

    public string? Route(string name) => http.GetRouteValue(name) is { } v ? Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) : null;

    public string? Query(string name) => http.Request.Query.TryGetValue(name, out var v) && v.Count > 0 ? v[0] : null;

    public ValueTask<WireRequest> RequestAsync() => WireRequest.ReadAsync(http);

    /// <summary>A field from the route, else the JSON body or query string (MLflow's wire rules).</summary>
    public async ValueTask<string?> FieldAsync(string name) =>
        Route(name) ?? (await WireRequest.ReadAsync(http).ConfigureAwait(false)).String(name);

    public async ValueTask<IReadOnlyList<string>> FieldsAsync(string name) =>
        (await WireRequest.ReadAsync(http).ConfigureAwait(false)).Strings(name);
}
