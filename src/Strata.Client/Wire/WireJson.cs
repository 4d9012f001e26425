using System.Text.Json;
using System.Text.Json.Serialization;
using Strata.Core.Tracking;

namespace Strata.Client.Wire;

/// <summary>
/// The JSON dialect of the MLflow REST API: snake_case names, absent fields for nulls, int64 as numbers
/// (strings accepted on input), non-finite doubles as the strings "NaN"/"Infinity"/"-Infinity",
/// enums by name except lifecycle stages, which are lowercase.
/// </summary>
internal static class WireJson
{
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        // Order matters: the specific converter for lifecycle stages must win over the general enum converter.
        options.Converters.Add(new JsonStringEnumConverter<LifecycleStage>(JsonNamingPolicy.SnakeCaseLower));
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
