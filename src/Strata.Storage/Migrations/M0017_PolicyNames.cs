using Strata.Storage.Database;

namespace Strata.Storage.Migrations;

/// <summary>
/// A policy's name is unique among the live policies of its registered model (the API finds policies by id, and a
/// person tells them apart by name within a model; a deleted policy's name is free again). Live duplicates written
/// before this rule keep working: all but the oldest (creation time, then id) are renamed to
/// <c>"name (policy_id)"</c>, in the column and in the stored spec, before the index is built.
/// </summary>
public sealed class M0017_PolicyNames : IMigration
{
    public int Version => 17;

    public string Name => "policy-names";

    public string Sql(SqlDialectKind dialect)
    {
        var newName = "name || ' (' || policy_id || ')'";
        var newSpec = dialect == SqlDialectKind.Postgres
            ? $"jsonb_set(spec::jsonb, '{{name}}', to_jsonb({newName}))::text"
            : $"json_set(spec, '$.name', {newName})";
        return $"""
            UPDATE policies SET name = {newName}, spec = {newSpec}
            WHERE deleted_timestamp IS NULL AND EXISTS (
                SELECT 1 FROM policies o
                WHERE o.deleted_timestamp IS NULL AND o.model_name = policies.model_name AND o.name = policies.name
                  AND (o.creation_timestamp < policies.creation_timestamp
                       OR (o.creation_timestamp = policies.creation_timestamp AND o.policy_id < policies.policy_id)));
            CREATE UNIQUE INDEX ux_policies_model_name ON policies (model_name, name) WHERE deleted_timestamp IS NULL
            """;
    }
}
