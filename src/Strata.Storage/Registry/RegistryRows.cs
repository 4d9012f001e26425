using Strata.Core.Registry;
using Strata.Core.Tracking;

namespace Strata.Storage.Registry;

/// <summary>Row shapes Dapper fills (settable properties, so SQLite's and PostgreSQL's integer widths both map).</summary>
internal static class RegistryRows
{
    public const string DeletedStage = "Deleted_Internal";

    public const string ModelColumns =
        "rm.name AS Name, rm.creation_timestamp AS CreationTimestamp, rm.last_updated_timestamp AS LastUpdatedTimestamp, " +
        "rm.description AS Description, rm.user_id AS UserId, rm.deployment_job_id AS DeploymentJobId";

    public const string VersionColumns =
        "mv.name AS Name, mv.version AS Version, mv.creation_timestamp AS CreationTimestamp, mv.last_updated_timestamp AS LastUpdatedTimestamp, " +
        "mv.user_id AS UserId, mv.current_stage AS CurrentStage, mv.description AS Description, mv.source AS Source, mv.run_id AS RunId, " +
        "mv.run_link AS RunLink, mv.model_id AS ModelId, mv.storage_location AS StorageLocation, mv.status AS Status, mv.status_message AS StatusMessage";

    internal sealed class ModelRow
    {
        public string Name { get; set; } = string.Empty;
        public long CreationTimestamp { get; set; }
        public long LastUpdatedTimestamp { get; set; }
        public string? Description { get; set; }
        public string? UserId { get; set; }
        public string? DeploymentJobId { get; set; }
    }

    internal sealed class VersionRow
    {
        public string Name { get; set; } = string.Empty;
        public long Version { get; set; }
        public long CreationTimestamp { get; set; }
        public long LastUpdatedTimestamp { get; set; }
        public string? UserId { get; set; }
        public string CurrentStage { get; set; } = string.Empty;
        public string? Description { get; set; }
        public string Source { get; set; } = string.Empty;
        public string? RunId { get; set; }
        public string? RunLink { get; set; }
        public string? ModelId { get; set; }
        public string? StorageLocation { get; set; }
        public string Status { get; set; } = string.Empty;
        public string? StatusMessage { get; set; }
    }

    internal sealed class TagRow
    {
        public string Name { get; set; } = string.Empty;
        public long Version { get; set; }
        public string Key { get; set; } = string.Empty;
        public string Value { get; set; } = string.Empty;
    }

    internal sealed class AliasRow
    {
        public string Name { get; set; } = string.Empty;
        public string Alias { get; set; } = string.Empty;
        public long Version { get; set; }
    }

    internal sealed class EventRow
    {
        public long Id { get; set; }
        public long EventTime { get; set; }
        public string? UserId { get; set; }
        public string EventType { get; set; } = string.Empty;
        public string ModelName { get; set; } = string.Empty;
        public long? Version { get; set; }
        public string? BeforeJson { get; set; }
        public string? AfterJson { get; set; }
    }

    public static ModelVersion ToEntity(VersionRow row, IReadOnlyList<KeyValue> tags, IReadOnlyList<string> aliases) =>
        new(row.Name, row.Version, row.CreationTimestamp, row.LastUpdatedTimestamp, row.UserId, row.CurrentStage, row.Description,
            row.Source, row.RunId, Enum.TryParse<ModelVersionStatus>(row.Status, out var status) ? status : ModelVersionStatus.READY,
            row.StatusMessage, tags, row.RunLink, aliases, row.ModelId, row.StorageLocation);
}
