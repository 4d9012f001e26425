using Strata.Core.Tracking;

namespace Strata.Server.Ui;

/// <summary>A column of the runs table beyond the fixed ones: a param, a metric or a tag.</summary>
public sealed record RunColumn(string Kind, string Key)
{
    /// <summary>The column's order_by field, with the key quoted so any key name parses.</summary>
    public string OrderField => $"{Kind}.`{Key.Replace("`", "", StringComparison.Ordinal)}`";

    public string? ValueOf(Run run) => Kind switch
    {
        "metrics" => run.Data.Metrics.FirstOrDefault(m => m.Key == Key) is { } m ? UiFormat.Number(m.Value) : null,
        "params" => run.Data.Params.FirstOrDefault(p => p.Key == Key)?.Value,
        _ => run.Data.Tags.FirstOrDefault(t => t.Key == Key)?.Value,
    };
}

/// <summary>A run as a row of the runs table: its depth under its parent (0 for top level).</summary>
public sealed record RunRow(Run Run, int Depth, bool HasChildren);

/// <summary>Shapes a page of runs into table rows: children right under their parent, in the page's order.</summary>
public static class RunTable
{
    public const string ParentTag = "mlflow.parentRunId";

    /// <summary>
    /// Runs whose parent is on the page follow it (recursively, indented); the others keep their place. A parent
    /// that is not on the page leaves its children at the top level, where the run page links to it.
    /// </summary>
    public static IReadOnlyList<RunRow> Nest(IReadOnlyList<Run> runs)
    {
        var onPage = runs.Select(r => r.Info.RunId).ToHashSet(StringComparer.Ordinal);
        var children = new Dictionary<string, List<Run>>(StringComparer.Ordinal);
        var roots = new List<Run>();
        foreach (var run in runs)
        {
            var parent = UiFormat.Tag(run.Data.Tags, ParentTag);
            if (parent is not null && parent != run.Info.RunId && onPage.Contains(parent))
            {
                (children.TryGetValue(parent, out var list) ? list : children[parent] = []).Add(run);
            }
            else
            {
                roots.Add(run);
            }
        }

        var rows = new List<RunRow>(runs.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(Run run, int depth)
        {
            if (!seen.Add(run.Info.RunId))
            {
                return; // a parent cycle written by hand: show each run once
            }

            var kids = children.GetValueOrDefault(run.Info.RunId);
            rows.Add(new RunRow(run, depth, kids is { Count: > 0 }));
            foreach (var kid in kids ?? [])
            {
                Add(kid, depth + 1);
            }
        }

        foreach (var root in roots)
        {
            Add(root, 0);
        }

        // Runs caught in a cycle have no root on the page; keep them visible.
        foreach (var run in runs.Where(r => !seen.Contains(r.Info.RunId)))
        {
            Add(run, 0);
        }

        return rows;
    }
}
