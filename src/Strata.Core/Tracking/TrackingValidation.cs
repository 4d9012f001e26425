using System.Text.RegularExpressions;
using Strata.Core.Errors;

namespace Strata.Core.Tracking;

/// <summary>
/// MLflow's input rules for tracking entities (spec §7). Each check throws
/// INVALID_PARAMETER_VALUE with a message naming the offending field or path.
/// </summary>
public static partial class TrackingValidation
{
    // \z rather than $: .NET's (and Python's) $ also matches before a final newline.
    [GeneratedRegex(@"^[/\w.\- :]*\z")]
    private static partial Regex KeyPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9][\w\-]{0,255}\z")]
    private static partial Regex RunIdPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9][\w\-]{0,63}\z")]
    private static partial Regex ExperimentIdPattern();

    public static string Required(string? value, string field) =>
        string.IsNullOrEmpty(value) ? throw MlflowException.MissingParameter(field) : value;

    public static T Required<T>(T? value, string field)
        where T : struct =>
        value ?? throw MlflowException.MissingParameter(field);

    /// <summary>A key at <paramref name="path"/>; the error path is built only on failure.</summary>
    public static string ValidateKey(string? key, string entity, FieldPath path, int maxLength = TrackingLimits.MaxEntityKeyLength) =>
        IsValidKey(key, maxLength) ? key! : ValidateKey(key, entity, path.Field("key"), maxLength);

    /// <summary>
    /// The same rules as <see cref="ValidateKey(string?, string, string, int)"/> without allocating: a key equals its
    /// POSIX-normalised form and does not start with ".." exactly when no '/'-separated segment is empty, "." or "..".
    /// </summary>
    public static bool IsValidKey(string? key, int maxLength = TrackingLimits.MaxEntityKeyLength)
    {
        if (string.IsNullOrEmpty(key) || key.Length > maxLength || key.StartsWith("..", StringComparison.Ordinal) || !KeyPattern().IsMatch(key))
        {
            return false;
        }

        var rest = key.AsSpan();
        while (true)
        {
            var slash = rest.IndexOf('/');
            var segment = slash < 0 ? rest : rest[..slash];
            if (segment.Length == 0 || segment is "." or "..")
            {
                return false;
            }

            if (slash < 0)
            {
                return true;
            }

            rest = rest[(slash + 1)..];
        }
    }

    /// <summary>A metric, param or tag key: the character set, no path tricks, and a length limit.</summary>
    public static string ValidateKey(string? key, string entity, string field, int maxLength = TrackingLimits.MaxEntityKeyLength)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw MlflowException.MissingParameter(field);
        }

        if (!KeyPattern().IsMatch(key))
        {
            throw MlflowException.InvalidParameter(
                $"Invalid {entity} name: '{key}' in '{field}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/).");
        }

        var normalized = PosixPath.Normalize(key);
        if (normalized != key || normalized == "." || normalized.StartsWith("..", StringComparison.Ordinal) || normalized.StartsWith('/'))
        {
            throw MlflowException.InvalidParameter(
                $"Invalid {entity} name: '{key}' in '{field}'. Names may be treated as file paths and must not resolve to another name, start with '/' or '..', or be '.'.");
        }

        if (key.Length > maxLength)
        {
            throw MlflowException.InvalidParameter(
                $"{Capitalize(entity)} name '{field}' has length {key.Length}, which exceeds the limit of {maxLength}.");
        }

        return key;
    }

    /// <summary>Param values over the limit are truncated, as MLflow does by default (MLFLOW_TRUNCATE_LONG_VALUES).</summary>
    public static KeyValue ValidateParam(KeyValueRequest? param, FieldPath path)
    {
        var key = ValidateKey(param?.Key, "parameter", path);
        return new KeyValue(key, Truncate(param!.Value ?? string.Empty, TrackingLimits.MaxParamValueLength));
    }

    /// <summary>Run tag values over the limit are truncated, as MLflow does by default.</summary>
    public static KeyValue ValidateRunTag(KeyValueRequest? tag, FieldPath path)
    {
        var key = ValidateKey(tag?.Key, "tag", path);
        return new KeyValue(key, Truncate(tag!.Value ?? string.Empty, TrackingLimits.MaxRunTagValueLength));
    }

    /// <summary>Experiment tags are never truncated.</summary>
    public static KeyValue ValidateExperimentTag(KeyValueRequest? tag, FieldPath path)
    {
        var key = ValidateKey(tag?.Key, "tag", path, TrackingLimits.MaxExperimentTagKeyLength);
        var value = tag!.Value ?? string.Empty;
        if (value.Length > TrackingLimits.MaxExperimentTagValueLength)
        {
            throw MlflowException.InvalidParameter(
                $"Experiment tag '{key}' value has length {value.Length}, which exceeds the limit of {TrackingLimits.MaxExperimentTagValueLength}.");
        }

        return new KeyValue(key, value);
    }

    public static Metric ValidateMetric(MetricRequest? metric, FieldPath path)
    {
        var key = ValidateKey(metric?.Key, "metric", path);
        var value = metric!.Value ?? throw MlflowException.MissingParameter(path.Field("value"));
        var timestamp = metric.Timestamp ?? throw MlflowException.MissingParameter(path.Field("timestamp"));
        if (timestamp < 0)
        {
            throw MlflowException.InvalidParameter(
                $"Invalid value {timestamp} for parameter '{path.Field("timestamp")}': metric timestamps must be non-negative.");
        }

        return new Metric(key, value, timestamp, metric.Step ?? 0, null, NullIfEmpty(metric.ModelId), NullIfEmpty(metric.DatasetName), NullIfEmpty(metric.DatasetDigest));
    }

    public static void ValidateBatchLimits(int metrics, int parameters, int tags)
    {
        CheckLimit(metrics, TrackingLimits.MaxMetricsPerBatch, "metrics");
        CheckLimit(parameters, TrackingLimits.MaxParamsPerBatch, "params");
        CheckLimit(tags, TrackingLimits.MaxTagsPerBatch, "tags");
        var total = metrics + parameters + tags;
        if (total > TrackingLimits.MaxEntitiesPerBatch)
        {
            throw MlflowException.InvalidParameter(
                $"A batch logging request can contain at most {TrackingLimits.MaxEntitiesPerBatch} metrics, params and tags in total. Got {total}. Split the data across several requests.");
        }

        static void CheckLimit(int count, int limit, string field)
        {
            if (count > limit)
            {
                throw MlflowException.InvalidParameter(
                    $"A batch logging request can contain at most {limit} {field}. Got {count} {field}. Split the {field} across several requests.");
            }
        }
    }

    public static string ValidateRunId(string? runId, string field = "run_id")
    {
        Required(runId, field);
        if (!RunIdPattern().IsMatch(runId!))
        {
            throw MlflowException.InvalidParameter($"Invalid run ID: '{runId}' in '{field}'.");
        }

        return runId!;
    }

    public static string ValidateExperimentId(string? experimentId, string field = "experiment_id")
    {
        Required(experimentId, field);
        if (!ExperimentIdPattern().IsMatch(experimentId!))
        {
            throw MlflowException.InvalidParameter($"Invalid experiment ID: '{experimentId}' in '{field}'.");
        }

        return experimentId!;
    }

    public static string ValidateExperimentName(string? name, string field = "name")
    {
        Required(name, field);
        if (name!.Length > TrackingLimits.MaxExperimentNameLength)
        {
            throw MlflowException.InvalidParameter(
                $"Experiment name '{field}' has length {name.Length}, which exceeds the limit of {TrackingLimits.MaxExperimentNameLength}.");
        }

        return name;
    }

    /// <summary>Rejects fragments, <c>;params</c>, <c>..</c> in the query, <c>runs:/</c> URIs and over-long locations.</summary>
    public static string? ValidateArtifactLocation(string? location)
    {
        if (string.IsNullOrEmpty(location))
        {
            return null;
        }

        if (location.Length > TrackingLimits.MaxArtifactLocationLength)
        {
            throw MlflowException.InvalidParameter(
                $"Invalid artifact location: length {location.Length} exceeds the limit of {TrackingLimits.MaxArtifactLocationLength}.");
        }

        if (location.Contains('#'))
        {
            throw MlflowException.InvalidParameter($"Invalid artifact location '{location}': URL fragments are not allowed.");
        }

        var queryStart = location.IndexOf('?', StringComparison.Ordinal);
        var beforeQuery = queryStart < 0 ? location : location[..queryStart];
        if (beforeQuery.Contains(';'))
        {
            throw MlflowException.InvalidParameter($"Invalid artifact location '{location}': URL params (';') are not allowed.");
        }

        if (queryStart >= 0 && location.AsSpan(queryStart).Contains("..", StringComparison.Ordinal))
        {
            throw MlflowException.InvalidParameter($"Invalid artifact location '{location}': the query string must not contain '..'.");
        }

        if (location.StartsWith("runs:", StringComparison.OrdinalIgnoreCase))
        {
            throw MlflowException.InvalidParameter($"Invalid artifact location '{location}': 'runs:/' URIs cannot be experiment artifact locations.");
        }

        return location;
    }

    public static DatasetInput ValidateDatasetInput(DatasetInputRequest? input, string path)
    {
        var dataset = input?.Dataset ?? throw MlflowException.MissingParameter(path + ".dataset");
        var datasetPath = path + ".dataset";
        var name = CheckLength(Required(dataset.Name, datasetPath + ".name"), TrackingLimits.MaxDatasetNameLength, datasetPath + ".name");
        var digest = CheckLength(Required(dataset.Digest, datasetPath + ".digest"), TrackingLimits.MaxDatasetDigestLength, datasetPath + ".digest");
        var sourceType = Required(dataset.SourceType, datasetPath + ".source_type");
        var source = CheckLength(Required(dataset.Source, datasetPath + ".source"), TrackingLimits.MaxDatasetSourceLength, datasetPath + ".source");
        var schema = dataset.Schema is null ? null : CheckLength(dataset.Schema, TrackingLimits.MaxDatasetSchemaLength, datasetPath + ".schema");
        var profile = dataset.Profile is null ? null : CheckLength(dataset.Profile, TrackingLimits.MaxDatasetProfileLength, datasetPath + ".profile");

        var tags = new List<KeyValue>(input.Tags.Count);
        for (var i = 0; i < input.Tags.Count; i++)
        {
            var tagPath = $"{path}.tags[{i}]";
            var key = CheckLength(Required(input.Tags[i]?.Key, tagPath + ".key"), TrackingLimits.MaxInputTagKeyLength, tagPath + ".key");
            var value = CheckLength(Required(input.Tags[i]?.Value, tagPath + ".value"), TrackingLimits.MaxInputTagValueLength, tagPath + ".value");
            tags.Add(new KeyValue(key, value));
        }

        return new DatasetInput(tags, new Dataset(name, digest, sourceType, source, schema, profile));
    }

    /// <summary>Logged model names: any characters except <c>/ : . % " '</c>.</summary>
    public static string ValidateLoggedModelName(string name)
    {
        if (name.AsSpan().IndexOfAny("/:.%\"'") >= 0)
        {
            throw MlflowException.InvalidParameter(
                $"Invalid model name '{name}': names cannot contain any of the following characters: '/', ':', '.', '%', '\"', \"'\".");
        }

        return name;
    }

    public static string CheckLength(string value, int limit, string field)
    {
        if (value.Length > limit)
        {
            throw MlflowException.InvalidParameter($"'{field}' has length {value.Length}, which exceeds the limit of {limit}.");
        }

        return value;
    }

    private static string Truncate(string value, int limit) => value.Length > limit ? value[..limit] : value;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
