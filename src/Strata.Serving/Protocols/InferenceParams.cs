using Strata.Core.Models;

namespace Strata.Serving.Protocols;

/// <summary>
/// The params a model's <c>predict</c> gets, as MLflow's pyfunc wrapper computes them: the request's (already checked
/// against the signature), and the signature's default for every declared param the request left out.
/// </summary>
public static class InferenceParams
{
    public static ModelInput Attach(ModelInput input, IReadOnlyDictionary<string, object?>? given, IReadOnlyList<ParamSpec>? declared)
    {
        ArgumentNullException.ThrowIfNull(input);
        if ((given is null || given.Count == 0) && (declared is null || declared.Count == 0))
        {
            return input;
        }

        var merged = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var spec in declared ?? [])
        {
            merged[spec.Name] = spec.Default;
        }

        foreach (var (name, value) in given ?? new Dictionary<string, object?>())
        {
            merged[name] = value;
        }

        return new ModelInput(input.Tensors) { Params = merged, Form = input.Form };
    }

    /// <summary>Whether two requests' params are the same, so their rows may share one model call.</summary>
    public static bool Same(IReadOnlyDictionary<string, object?>? a, IReadOnlyDictionary<string, object?>? b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a is null || b is null || a.Count != b.Count)
        {
            return false;
        }

        foreach (var (name, value) in a)
        {
            if (!b.TryGetValue(name, out var other) || !SameValue(value, other))
            {
                return false;
            }
        }

        return true;
    }

    private static bool SameValue(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (System.Collections.IEnumerable x, System.Collections.IEnumerable y) when a is not string && b is not string =>
            x.Cast<object?>().SequenceEqual(y.Cast<object?>()),
        _ => Equals(a, b),
    };
}
