using Strata.Core.Tracking;

namespace Strata.Core.Registry;

/// <summary>
/// Persistence for registered models, versions, tags, aliases and the registry event log.
/// Every mutating call writes its event row(s) in the same transaction as the change.
/// Writes on a missing model or version throw RESOURCE_DOES_NOT_EXIST; getters return null.
/// Input format validation (names, stages, aliases, tag keys) happens before the store is called.
/// </summary>
public interface IRegistryStore
{
    /// <summary>Throws RESOURCE_ALREADY_EXISTS when the name is taken.</summary>
    Task<RegisteredModel> CreateRegisteredModelAsync(NewRegisteredModel model, RegistryWrite write, CancellationToken ct);
    Task<RegisteredModel?> GetRegisteredModelAsync(string name, CancellationToken ct);
    /// <summary>Versions, tags and aliases move with the model.</summary>
    Task<RegisteredModel> RenameRegisteredModelAsync(string name, string newName, RegistryWrite write, CancellationToken ct);
    /// <summary>Sets the description (null leaves it unchanged) and bumps the update time.</summary>
    Task<RegisteredModel> UpdateRegisteredModelAsync(string name, string? description, RegistryWrite write, CancellationToken ct);
    /// <summary>Hard delete of the model with its versions, tags and aliases.</summary>
    Task DeleteRegisteredModelAsync(string name, RegistryWrite write, CancellationToken ct);
    Task<Page<RegisteredModel>> SearchRegisteredModelsAsync(RegisteredModelQuery query, CancellationToken ct);
    Task SetRegisteredModelTagAsync(string name, KeyValue tag, RegistryWrite write, CancellationToken ct);
    /// <summary>A missing tag is not an error.</summary>
    Task DeleteRegisteredModelTagAsync(string name, string key, RegistryWrite write, CancellationToken ct);

    /// <summary>The highest live version in each of the given canonical stages that has one. Unknown model: 404.</summary>
    Task<IReadOnlyList<ModelVersion>> GetLatestVersionsAsync(string name, IReadOnlyList<string> stages, CancellationToken ct);
    /// <summary>The highest live version of the model, any stage; null if there is none.</summary>
    Task<ModelVersion?> GetNewestModelVersionAsync(string name, CancellationToken ct);

    /// <summary>Points the alias at the version (overwriting). Unknown model or version: 404.</summary>
    Task SetAliasAsync(string name, string alias, long version, RegistryWrite write, CancellationToken ct);
    /// <summary>A missing alias is not an error.</summary>
    Task DeleteAliasAsync(string name, string alias, RegistryWrite write, CancellationToken ct);
    Task<ModelVersion?> GetModelVersionByAliasAsync(string name, string alias, CancellationToken ct);

    /// <summary>Allocates the next number (never reused) in the inserting transaction. Unknown model: 404.</summary>
    Task<ModelVersion> CreateModelVersionAsync(NewModelVersion version, RegistryWrite write, CancellationToken ct);
    Task<ModelVersion?> GetModelVersionAsync(string name, long version, CancellationToken ct);
    /// <summary>The newest live version registered from the given logged model, if any.</summary>
    Task<ModelVersion?> FindModelVersionByModelIdAsync(string modelId, CancellationToken ct);
    Task<ModelVersion> UpdateModelVersionAsync(string name, long version, string? description, RegistryWrite write, CancellationToken ct);
    /// <summary>Soft delete: gone from reads and search, aliases and tags removed, fields redacted.</summary>
    Task DeleteModelVersionAsync(string name, long version, RegistryWrite write, CancellationToken ct);
    /// <summary>
    /// Moves the version to the canonical <paramref name="stage"/>; with <paramref name="archiveExistingVersions"/>
    /// the other versions in that stage move to Archived in the same transaction.
    /// </summary>
    Task<ModelVersion> TransitionModelVersionStageAsync(string name, long version, string stage, bool archiveExistingVersions, RegistryWrite write, CancellationToken ct);
    Task<Page<ModelVersion>> SearchModelVersionsAsync(ModelVersionQuery query, CancellationToken ct);
    Task SetModelVersionTagAsync(string name, long version, KeyValue tag, RegistryWrite write, CancellationToken ct);
    /// <summary>A missing tag is not an error; a missing version is.</summary>
    Task DeleteModelVersionTagAsync(string name, long version, string key, RegistryWrite write, CancellationToken ct);

    /// <summary>Events by increasing id, optionally only those of one model name.</summary>
    Task<Page<RegistryEvent>> ListEventsAsync(string? modelName, int maxResults, string? pageToken, CancellationToken ct);
}
