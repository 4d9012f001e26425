using Strata.Core.Tracking;

namespace Strata.Storage.Tracking;

// Dapper targets: columns are aliased to these property names in every SELECT, so no global
// name-mapping switch is needed. Numeric properties are long/double; Dapper converts the
// provider's narrower types (PostgreSQL INTEGER) on assignment.

internal sealed class ExperimentRow
{
    public long ExperimentId { get; set; }
    public string Name { get; set; } = "";
    public string ArtifactLocation { get; set; } = "";
    public string LifecycleStage { get; set; } = "";
    public long CreationTime { get; set; }
    public long LastUpdateTime { get; set; }
}

internal sealed class RunRow
{
    public string RunId { get; set; } = "";
    public long ExperimentId { get; set; }
    public string Name { get; set; } = "";
    public string UserId { get; set; } = "";
    public string Status { get; set; } = "";
    public long StartTime { get; set; }
    public long? EndTime { get; set; }
    public string ArtifactUri { get; set; } = "";
    public string LifecycleStage { get; set; } = "";
}

internal sealed class OwnedKeyValueRow
{
    public string OwnerId { get; set; } = "";
    public string Key { get; set; } = "";
    public string Value { get; set; } = "";
}

internal sealed class MetricRow
{
    public string RunId { get; set; } = "";
    public string Key { get; set; } = "";
    public double Value { get; set; }
    public long IsNan { get; set; }
    public long Timestamp { get; set; }
    public long Step { get; set; }
    public string? ModelId { get; set; }
    public string? DatasetName { get; set; }
    public string? DatasetDigest { get; set; }

    public Metric ToMetric(bool withRunId = false) =>
        new(Key, IsNan != 0 ? double.NaN : Value, Timestamp, Step, withRunId ? RunId : null, ModelId, DatasetName, DatasetDigest);
}

internal sealed class DatasetInputRow
{
    public string RunId { get; set; } = "";
    public long DatasetId { get; set; }
    public string Name { get; set; } = "";
    public string Digest { get; set; } = "";
    public string SourceType { get; set; } = "";
    public string Source { get; set; } = "";
    public string? DatasetSchema { get; set; }
    public string? Profile { get; set; }
}

internal sealed class InputTagRow
{
    public string RunId { get; set; } = "";
    public long DatasetId { get; set; }
    public string Key { get; set; } = "";
    public string Value { get; set; } = "";
}

internal sealed class ModelOutputRow
{
    public string RunId { get; set; } = "";
    public string ModelId { get; set; } = "";
    public long Step { get; set; }
}

internal sealed class LoggedModelRow
{
    public string ModelId { get; set; } = "";
    public long ExperimentId { get; set; }
    public string Name { get; set; } = "";
    public string ArtifactUri { get; set; } = "";
    public string Status { get; set; } = "";
    public string? StatusMessage { get; set; }
    public long CreationTimestampMs { get; set; }
    public long LastUpdatedTimestampMs { get; set; }
    public string? CreatorId { get; set; }
    public string? ModelType { get; set; }
    public string? SourceRunId { get; set; }
}

internal sealed class LoggedModelMetricRow
{
    public string ModelId { get; set; } = "";
    public string RunId { get; set; } = "";
    public string Key { get; set; } = "";
    public double Value { get; set; }
    public long IsNan { get; set; }
    public long Timestamp { get; set; }
    public long Step { get; set; }
    public string? DatasetName { get; set; }
    public string? DatasetDigest { get; set; }

    public Metric ToMetric() =>
        new(Key, IsNan != 0 ? double.NaN : Value, Timestamp, Step, RunId, ModelId, DatasetName, DatasetDigest);
}
