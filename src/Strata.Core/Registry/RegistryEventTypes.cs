namespace Strata.Core.Registry;

/// <summary>The event types in the registry event log; the strings are stored and returned verbatim.</summary>
public static class RegistryEventTypes
{
    public const string RegisteredModelCreated = "registered_model.created";
    public const string RegisteredModelRenamed = "registered_model.renamed";
    public const string RegisteredModelUpdated = "registered_model.updated";
    public const string RegisteredModelDeleted = "registered_model.deleted";
    public const string RegisteredModelTagSet = "registered_model_tag.set";
    public const string RegisteredModelTagDeleted = "registered_model_tag.deleted";
    public const string ModelVersionCreated = "model_version.created";
    public const string ModelVersionUpdated = "model_version.updated";
    public const string ModelVersionDeleted = "model_version.deleted";
    public const string ModelVersionStageTransitioned = "model_version.stage_transitioned";
    public const string ModelVersionTagSet = "model_version_tag.set";
    public const string ModelVersionTagDeleted = "model_version_tag.deleted";
    public const string AliasSet = "model_version_alias.set";
    public const string AliasDeleted = "model_version_alias.deleted";
}
