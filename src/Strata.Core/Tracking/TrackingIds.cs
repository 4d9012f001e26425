namespace Strata.Core.Tracking;

/// <summary>New identifiers in MLflow's formats.</summary>
public static class TrackingIds
{
    /// <summary>32 lowercase hex characters (a UUID4 without dashes); lowercase matters for the IN filter.</summary>
    public static string NewRunId() => Guid.NewGuid().ToString("N");

    /// <summary><c>m-</c> followed by 32 lowercase hex characters.</summary>
    public static string NewLoggedModelId() => "m-" + Guid.NewGuid().ToString("N");
}
