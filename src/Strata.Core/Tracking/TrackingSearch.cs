using Strata.Core.Errors;
using Strata.Core.Search;

namespace Strata.Core.Tracking;

/// <summary>The one place the tracking service reaches the search grammar.</summary>
internal static class TrackingSearch
{
    // TEMPORARY until the search parser lands on main: only the empty filter/order is understood.
    public static IReadOnlyList<Comparison> ParseFilter(string? filter, SearchTarget target) =>
        string.IsNullOrWhiteSpace(filter)
            ? []
            : throw new MlflowException(ErrorCode.NOT_IMPLEMENTED, $"Search filters are not available yet ({target}).");

    public static IReadOnlyList<OrderTerm> ParseOrderBy(IReadOnlyList<string> orderBy, SearchTarget target) =>
        orderBy.Count == 0
            ? []
            : throw new MlflowException(ErrorCode.NOT_IMPLEMENTED, $"Search ordering is not available yet ({target}).");
}
