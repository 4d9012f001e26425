using System.Diagnostics;

namespace Strata.Serving.Runtimes;

/// <summary>Tracing for model calls: one span per Predict, tagged with the flavor and row count.</summary>
internal static class ModelActivity
{
    public static readonly ActivitySource Source = new("Strata.Serving.Models");

    public static Activity? StartPredict(string flavor, int rows)
    {
        var activity = Source.StartActivity("model.predict");
        if (activity is not null)
        {
            activity.SetTag("strata.model.flavor", flavor);
            activity.SetTag("strata.model.rows", rows);
        }

        return activity;
    }
}
