using System.Text.Json;
using Strata.Core.Registry;
using Strata.Core.Tracking;

namespace Strata.Storage.Registry;

/// <summary>The before/after snapshots stored with each registry event, in the wire's snake_case shapes.</summary>
internal static class RegistryEventJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Of(object value) => JsonSerializer.Serialize(value, Options);

    public static string Model(RegisteredModel m) => Of(new
    {
        name = m.Name,
        creation_timestamp = m.CreationTimestamp,
        last_updated_timestamp = m.LastUpdatedTimestamp,
        user_id = m.UserId,
        description = m.Description,
        tags = m.Tags.Select(t => new { key = t.Key, value = t.Value }),
        aliases = m.Aliases.Select(a => new { alias = a.Alias, version = a.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
    });

    public static string Version(ModelVersion v) => Of(new
    {
        name = v.Name,
        version = v.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
        creation_timestamp = v.CreationTimestamp,
        last_updated_timestamp = v.LastUpdatedTimestamp,
        user_id = v.UserId,
        current_stage = v.CurrentStage,
        description = v.Description,
        source = v.Source,
        run_id = v.RunId,
        run_link = v.RunLink,
        model_id = v.ModelId,
        storage_location = v.StorageLocation,
        status = v.Status.ToString(),
        tags = v.Tags.Select(t => new { key = t.Key, value = t.Value }),
        aliases = v.Aliases,
    });

    public static string Tag(KeyValue tag) => Of(new { key = tag.Key, value = tag.Value });

    public static string Alias(string alias, long version) =>
        Of(new { alias, version = version.ToString(System.Globalization.CultureInfo.InvariantCulture) });
}
