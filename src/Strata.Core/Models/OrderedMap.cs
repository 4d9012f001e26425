namespace Strata.Core.Models;

/// <summary>Builds a read-only map that keeps its insertion order, for writers whose key order is part of the format.</summary>
internal static class OrderedMap
{
    public static IReadOnlyDictionary<string, object?> ToOrderedMap(this IEnumerable<KeyValuePair<string, object?>> pairs)
    {
        // Dictionary<,> enumerates in insertion order as long as nothing is removed.
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in pairs)
        {
            map[key] = value;
        }

        return map;
    }
}
