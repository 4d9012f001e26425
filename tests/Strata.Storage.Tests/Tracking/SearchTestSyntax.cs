using Strata.Core.Search;

namespace Strata.Storage.Tests.Tracking;

/// <summary>Hand-built search ASTs, standing in for the filter parser in these store tests.</summary>
internal static class SearchTestSyntax
{
    public static Comparison Where(KeyKind kind, string key, Comparator op, SearchValue value) => new(new SearchKey(kind, key), op, value);

    public static StringValue S(string v) => new(v);

    public static NumberValue N(double v) => new(v, v.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static ListValue L(params string[] v) => new(v);

    public static OrderTerm By(KeyKind kind, string key, bool ascending = true) => new(new SearchKey(kind, key), ascending);
}
