using Strata.Core.Search;

namespace Strata.Core.Tracking;

/// <summary>The one place the tracking service reaches the search grammar.</summary>
internal static class TrackingSearch
{
    public static IReadOnlyList<Comparison> ParseFilter(string? filter, SearchTarget target) => SearchFilterParser.Parse(filter, target);

    public static IReadOnlyList<OrderTerm> ParseOrderBy(IReadOnlyList<string> orderBy, SearchTarget target) => OrderByParser.Parse(orderBy, target);
}
