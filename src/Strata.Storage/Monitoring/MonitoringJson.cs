using System.Text.Json;
using System.Text.Json.Serialization;
using Strata.Core.Monitoring;

namespace Strata.Storage.Monitoring;

/// <summary>How a reference profile is stored: snake_case JSON, nulls left out.</summary>
public static class MonitoringJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Serialize(ReferenceProfile profile) => JsonSerializer.Serialize(profile, Options);

    public static ReferenceProfile Deserialize(string json) =>
        JsonSerializer.Deserialize<ReferenceProfile>(json, Options) ?? throw new JsonException("A stored reference profile is empty.");
}
