namespace Strata.Core.Tracking;

public enum LifecycleStage
{
    Active,
    Deleted,
}

/// <summary>Numeric values are MLflow's proto values.</summary>
public enum RunStatus
{
    RUNNING = 1,
    SCHEDULED = 2,
    FINISHED = 3,
    FAILED = 4,
    KILLED = 5,
}

public enum ViewType
{
    ACTIVE_ONLY = 1,
    DELETED_ONLY = 2,
    ALL = 3,
}

public enum LoggedModelStatus
{
    LOGGED_MODEL_STATUS_UNSPECIFIED = 0,
    LOGGED_MODEL_PENDING = 1,
    LOGGED_MODEL_READY = 2,
    LOGGED_MODEL_UPLOAD_FAILED = 3,
}

public static class LifecycleStages
{
    public const string ActiveName = "active";
    public const string DeletedName = "deleted";

    public static string ToWire(this LifecycleStage stage) => stage == LifecycleStage.Active ? ActiveName : DeletedName;

    public static LifecycleStage Parse(string value) =>
        value == DeletedName ? LifecycleStage.Deleted : LifecycleStage.Active;
}
