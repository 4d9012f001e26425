using Strata.Core.Errors;

namespace Strata.Core.Models;

/// <summary>Reads and writes the MLmodel YAML with MLflow's keys and layout.</summary>
public static class MlModelYaml
{
    private static readonly HashSet<string> KnownKeys =
    [
        "artifact_path", "run_id", "model_id", "model_uuid", "mlflow_version", "utc_time_created",
        "flavors", "signature", "saved_input_example_info", "model_size_bytes", "metadata",
    ];

    public static MlModel Read(string yaml)
    {
        var root = YamlTree.Parse(yaml);
        if (root is null)
        {
            throw MlflowException.InvalidParameter("The MLmodel file is empty");
        }

        if (root is not IReadOnlyDictionary<string, object?> map)
        {
            throw MlflowException.InvalidParameter("The MLmodel file must hold a YAML mapping at its top level");
        }

        var flavors = new Dictionary<string, IReadOnlyDictionary<string, object?>>(StringComparer.Ordinal);
        if (map.GetValueOrDefault("flavors") is IReadOnlyDictionary<string, object?> flavorMap)
        {
            foreach (var (name, config) in flavorMap)
            {
                flavors[name] = config as IReadOnlyDictionary<string, object?> ?? new Dictionary<string, object?>();
            }
        }
        else if (map.GetValueOrDefault("flavors") is not null)
        {
            throw MlflowException.InvalidParameter("'flavors' in the MLmodel file must be a mapping");
        }

        return new MlModel
        {
            ArtifactPath = Text(map, "artifact_path"),
            RunId = Text(map, "run_id"),
            ModelId = Text(map, "model_id"),
            ModelUuid = Text(map, "model_uuid"),
            MlflowVersion = Text(map, "mlflow_version"),
            UtcTimeCreated = Text(map, "utc_time_created"),
            Flavors = flavors,
            Signature = ReadSignature(map.GetValueOrDefault("signature")),
            SavedInputExampleInfo = ReadExampleInfo(map.GetValueOrDefault("saved_input_example_info")),
            ModelSizeBytes = map.GetValueOrDefault("model_size_bytes") switch
            {
                long l => l,
                double d => (long)d,
                string s when long.TryParse(s, out var l) => l,
                _ => null,
            },
            Metadata = map.GetValueOrDefault("metadata") as IReadOnlyDictionary<string, object?>,
            Extra = map.Where(kv => !KnownKeys.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
        };
    }

    public static string Write(MlModel model)
    {
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in model.Extra)
        {
            map[key] = value;
        }

        // MLflow drops null top-level values except for keys it always writes.
        Put(map, "artifact_path", model.ArtifactPath);
        Put(map, "run_id", model.RunId);
        Put(map, "model_id", model.ModelId);
        Put(map, "model_uuid", model.ModelUuid);
        Put(map, "mlflow_version", model.MlflowVersion);
        Put(map, "utc_time_created", model.UtcTimeCreated);
        map["flavors"] = model.Flavors.ToDictionary(kv => kv.Key, kv => (object?)kv.Value, StringComparer.Ordinal);
        if (model.Signature is { } sig)
        {
            map["signature"] = new Dictionary<string, object?>
            {
                ["inputs"] = sig.Inputs?.ToJson(),
                ["outputs"] = sig.Outputs?.ToJson(),
                ["params"] = sig.Params is null ? null : SignatureJson.WriteParams(sig.Params),
            };
        }

        if (model.SavedInputExampleInfo is { } info)
        {
            var example = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (key, value) in info.Extra)
            {
                example[key] = value;
            }

            example["artifact_path"] = info.ArtifactPath;
            example["type"] = info.Type;
            Put(example, "pandas_orient", info.PandasOrient);
            Put(example, "serving_input_path", info.ServingInputPath);
            map["saved_input_example_info"] = example;
        }

        if (model.ModelSizeBytes is { } size)
        {
            map["model_size_bytes"] = size;
        }

        if (model.Metadata is not null)
        {
            map["metadata"] = model.Metadata;
        }

        return YamlTree.Write(map);
    }

    private static ModelSignature? ReadSignature(object? value)
    {
        if (value is null)
        {
            return null;
        }

        if (value is not IReadOnlyDictionary<string, object?> sig)
        {
            throw MlflowException.InvalidParameter("'signature' in the MLmodel file must be a mapping");
        }

        return new ModelSignature(
            sig.GetValueOrDefault("inputs") is string inputs ? ModelSchema.FromJson(inputs) : null,
            sig.GetValueOrDefault("outputs") is string outputs ? ModelSchema.FromJson(outputs) : null,
            sig.GetValueOrDefault("params") is string ps ? SignatureJson.ReadParams(ps) : null);
    }

    private static SavedInputExampleInfo? ReadExampleInfo(object? value)
    {
        if (value is not IReadOnlyDictionary<string, object?> info)
        {
            return null;
        }

        return new SavedInputExampleInfo
        {
            ArtifactPath = Text(info, "artifact_path") ?? "input_example.json",
            Type = Text(info, "type") ?? "dataframe",
            PandasOrient = Text(info, "pandas_orient"),
            ServingInputPath = Text(info, "serving_input_path"),
            Extra = info.Where(kv => kv.Key is not ("artifact_path" or "type" or "pandas_orient" or "serving_input_path"))
                .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
        };
    }

    // Scalars that YAML typed as numbers (a hand-written python_version: 3.10) still come back as text.
    private static string? Text(IReadOnlyDictionary<string, object?> map, string key) => map.GetValueOrDefault(key) switch
    {
        null => null,
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        var other => throw MlflowException.InvalidParameter($"'{key}' in the MLmodel file must be a scalar, not {other.GetType().Name}"),
    };

    private static void Put(Dictionary<string, object?> map, string key, object? value)
    {
        if (value is not null)
        {
            map[key] = value;
        }
    }
}
