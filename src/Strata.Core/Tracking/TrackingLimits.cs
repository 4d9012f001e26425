namespace Strata.Core.Tracking;

/// <summary>MLflow's size limits for tracking input (spec §7, §5.2).</summary>
public static class TrackingLimits
{
    public const int MaxEntityKeyLength = 250;
    public const int MaxParamValueLength = 6000;
    public const int MaxRunTagValueLength = 8000;
    public const int MaxExperimentNameLength = 500;
    public const int MaxExperimentTagKeyLength = 250;
    public const int MaxExperimentTagValueLength = 5000;
    public const int MaxArtifactLocationLength = 2048;

    public const int MaxMetricsPerBatch = 1000;
    public const int MaxParamsPerBatch = 100;
    public const int MaxTagsPerBatch = 100;
    public const int MaxEntitiesPerBatch = 1000;

    /// <summary>MLflow's intended log-batch body limit.</summary>
    public const int MaxLogBatchBodyBytes = 1_000_000;

    public const int MaxDatasetsPerRequest = 1000;
    public const int MaxDatasetNameLength = 500;
    public const int MaxDatasetDigestLength = 36;
    public const int MaxDatasetSourceLength = 65535;
    public const int MaxDatasetSchemaLength = 1_048_575;
    public const int MaxDatasetProfileLength = 16_777_215;
    public const int MaxInputTagKeyLength = 255;
    public const int MaxInputTagValueLength = 500;

    public const int DefaultSearchMaxResults = 1000;
    public const int MaxSearchMaxResults = 50_000;
    public const int DefaultLoggedModelSearchMaxResults = 50;

    public const int MaxBulkRunIds = 100;
    public const int MaxBulkIntervalResults = 2500;
    public const int MaxBulkHistoryResults = 25_000;
}
