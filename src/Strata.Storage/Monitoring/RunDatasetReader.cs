using Strata.Core.Artifacts;
using Strata.Core.Errors;
using Strata.Core.Monitoring;
using Strata.Core.Registry;
using Strata.Core.Tracking;
using Strata.Storage.Artifacts;

namespace Strata.Storage.Monitoring;

/// <summary>
/// Finds a model version's training data: the dataset its run logged as an input (<c>log-inputs</c>; the one named,
/// else the one whose <c>mlflow.data.context</c> tag is <c>training</c>, else the only one), whose source URI points at
/// an artifact the server can read — <c>runs:/RUN_ID/path</c>, a path under the run's artifact URI, a relative path
/// (taken within the run's artifacts) or an <c>mlflow-artifacts:</c> URI. Files of other places on the server's disk are
/// never read. CSV (<c>.csv</c>, <c>.csv.gz</c> not included) and JSON (<c>.json</c>, <c>.jsonl</c>) are read; Parquet through
/// <see cref="ParquetTableReader"/>.
/// </summary>
public sealed class RunDatasetReader(IRegistryStore registry, ITrackingStore tracking, ArtifactLocationResolver artifacts) : IReferenceDataSource
{
    public const string ContextTag = "mlflow.data.context";

    /// <summary>Largest reference file read (it is held in memory while profiled).</summary>
    public const long MaxBytes = 512L * 1024 * 1024;

    public async Task<string> ReadAsync(string modelName, long version, string? datasetName, FeatureTable table, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(table);
        var mv = await registry.GetModelVersionAsync(modelName, version, ct).ConfigureAwait(false)
            ?? throw MlflowException.NotFound($"Model Version (name={modelName}, version={version}) not found");
        if (string.IsNullOrEmpty(mv.RunId))
        {
            throw MlflowException.InvalidParameter(
                $"Model version '{modelName}' version {version} has no run, so no logged training dataset: upload the reference data instead.");
        }

        var run = await tracking.GetRunAsync(mv.RunId, ct).ConfigureAwait(false)
            ?? throw MlflowException.NotFound($"Run '{mv.RunId}' of model version '{modelName}' version {version} not found.");
        var dataset = Choose(run, datasetName, modelName, version);
        var uri = SourceUri(dataset.Dataset);
        var (artifactRoot, path) = Locate(run, uri);
        using var location = artifacts.Resolve(artifactRoot, path);
        var stat = await location.Store.StatAsync(location.Path, ct).ConfigureAwait(false);
        if (stat is null || stat.IsDirectory)
        {
            throw MlflowException.NotFound($"Dataset '{dataset.Dataset.Name}' points at '{uri}', where there is no file.");
        }

        if (stat.Length > MaxBytes)
        {
            throw MlflowException.InvalidParameter($"Dataset '{dataset.Dataset.Name}' is {stat.Length} bytes; at most {MaxBytes} are profiled.");
        }

        using var bytes = new MemoryStream((int)Math.Max(stat.Length, 0));
        await location.Store.DownloadAsync(location.Path, bytes, null, ct).ConfigureAwait(false);
        var data = bytes.GetBuffer().AsMemory(0, (int)bytes.Length);
        var lower = uri.ToLowerInvariant();
        try
        {
            if (lower.EndsWith(".csv", StringComparison.Ordinal))
            {
                CsvTableReader.Read(new StringReader(System.Text.Encoding.UTF8.GetString(data.Span)), table);
            }
            else if (lower.EndsWith(".json", StringComparison.Ordinal) || lower.EndsWith(".jsonl", StringComparison.Ordinal))
            {
                JsonTableReader.Read(data, table);
            }
            else if (lower.EndsWith(".parquet", StringComparison.Ordinal))
            {
                await ParquetTableReader.ReadAsync(bytes, table, ct).ConfigureAwait(false);
            }
            else
            {
                throw MlflowException.InvalidParameter(
                    $"Dataset '{dataset.Dataset.Name}' at '{uri}' is neither CSV, JSON nor Parquet (by its extension).");
            }
        }
        catch (System.Text.Json.JsonException e)
        {
            throw MlflowException.InvalidParameter($"Dataset '{dataset.Dataset.Name}' at '{uri}' is not a JSON table: {e.Message}");
        }

        return $"dataset '{dataset.Dataset.Name}' ({dataset.Dataset.Digest}) at {uri}";
    }

    private static DatasetInput Choose(Run run, string? datasetName, string modelName, long version)
    {
        var inputs = run.Inputs.DatasetInputs;
        if (inputs.Count == 0)
        {
            throw MlflowException.InvalidParameter(
                $"Run '{run.Info.RunId}' of model version '{modelName}' version {version} logged no dataset input: log the training data with log-inputs, or upload it.");
        }

        if (!string.IsNullOrEmpty(datasetName))
        {
            return inputs.FirstOrDefault(d => d.Dataset.Name == datasetName)
                ?? throw MlflowException.NotFound($"Run '{run.Info.RunId}' has no dataset input named '{datasetName}'.");
        }

        var training = inputs.Where(d => d.Tags.Any(t => t.Key == ContextTag && t.Value == "training")).ToList();
        if (training.Count == 1)
        {
            return training[0];
        }

        return inputs.Count == 1
            ? inputs[0]
            : throw MlflowException.InvalidParameter(
                $"Run '{run.Info.RunId}' logged several datasets ({string.Join(", ", inputs.Select(d => d.Dataset.Name))}); name one with dataset_name.");
    }

    /// <summary>The URI in a dataset's source JSON (<c>{"uri": ...}</c>, <c>{"url": ...}</c> or <c>{"path": ...}</c>), or the source itself.</summary>
    internal static string SourceUri(Dataset dataset)
    {
        var source = dataset.Source.Trim();
        if (source.StartsWith('{'))
        {
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(source);
                foreach (var key in (string[])["uri", "url", "path"])
                {
                    if (doc.RootElement.TryGetProperty(key, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String)
                    {
                        return v.GetString()!;
                    }
                }
            }
            catch (System.Text.Json.JsonException)
            {
            }

            throw MlflowException.InvalidParameter($"Dataset '{dataset.Name}' has a source without a uri: {source}");
        }

        return source;
    }

    /// <summary>The artifact root and relative path a source URI names, refusing anything outside the artifact stores.</summary>
    internal static (string Root, string Path) Locate(Run run, string uri)
    {
        const string runsScheme = "runs:/";
        if (uri.StartsWith(runsScheme, StringComparison.Ordinal))
        {
            var rest = uri[runsScheme.Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || rest[..slash] != run.Info.RunId)
            {
                throw MlflowException.InvalidParameter($"Dataset source '{uri}' must name a file of the model's run ({run.Info.RunId}).");
            }

            return (run.Info.ArtifactUri, ArtifactPath.Validate(rest[(slash + 1)..]));
        }

        var root = run.Info.ArtifactUri.TrimEnd('/');
        if (uri.StartsWith(root + "/", StringComparison.Ordinal))
        {
            return (run.Info.ArtifactUri, ArtifactPath.Validate(uri[(root.Length + 1)..]));
        }

        if (ArtifactUri.IsProxied(uri))
        {
            return (uri, "");
        }

        if (!uri.Contains(':', StringComparison.Ordinal) && !uri.StartsWith('/'))
        {
            return (run.Info.ArtifactUri, ArtifactPath.Validate(uri));
        }

        throw MlflowException.InvalidParameter(
            $"Dataset source '{uri}' is not an artifact this server can read: log the file as an artifact of the run (runs:/{run.Info.RunId}/path) or upload the data.");
    }
}
