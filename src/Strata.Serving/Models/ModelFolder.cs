using Strata.Core.Errors;
using Strata.Core.Models;

namespace Strata.Serving.Models;

/// <summary>Reads and writes MLflow model folders on the local file system.</summary>
public static class ModelFolder
{
    /// <summary>Reads the MLmodel file of a folder; a folder without one is not an MLflow model.</summary>
    public static async Task<MlModel> ReadMlModelAsync(string folder, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(folder))
        {
            throw MlflowException.NotFound($"Model folder '{folder}' does not exist.");
        }

        var file = Path.Combine(folder, MlModel.FileName);
        if (!File.Exists(file))
        {
            var files = Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).Take(20).ToList();
            throw MlflowException.NotFound(
                $"Could not find an 'MLmodel' configuration file at '{folder}': it is not an MLflow model folder"
                + (files.Count == 0 ? " (the folder is empty)." : $" (it holds: {string.Join(", ", files)})."));
        }

        return MlModel.Parse(await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Creates a model folder atomically: <paramref name="fill"/> writes the flavor files into a hidden sibling folder,
    /// which is renamed into place only once everything, MLmodel last, is on disk.
    /// </summary>
    public static async Task<MlModel> WriteAsync(
        string path,
        ModelSaveOptions options,
        Func<string, CancellationToken, Task<(IReadOnlyDictionary<string, IReadOnlyDictionary<string, object?>> Flavors, ModelSignature? Signature)>> fill,
        CancellationToken cancellationToken)
    {
        path = Path.GetFullPath(path);
        if (Directory.Exists(path) || File.Exists(path))
        {
            throw MlflowException.AlreadyExists($"Path '{path}' already exists; a model is saved into a new folder.");
        }

        var parent = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(staging);
        try
        {
            var (flavors, signature) = await fill(staging, cancellationToken).ConfigureAwait(false);
            SavedInputExampleInfo? example = null;
            if (options.InputExample is { } input)
            {
                example = await InputExampleWriter.WriteAsync(staging, input, cancellationToken).ConfigureAwait(false);
            }

            var size = Directory.EnumerateFiles(staging, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            var model = new MlModel
            {
                ArtifactPath = options.ArtifactPath,
                RunId = options.RunId,
                ModelId = options.ModelId,
                ModelUuid = options.ModelId ?? Guid.NewGuid().ToString("N"),
                MlflowVersion = options.MlflowVersion,
                UtcTimeCreated = MlModel.FormatTime(options.Time.GetUtcNow().UtcDateTime),
                Flavors = flavors,
                Signature = options.Signature ?? signature,
                SavedInputExampleInfo = example,
                ModelSizeBytes = size,
                Metadata = options.Metadata,
            };
            await File.WriteAllTextAsync(Path.Combine(staging, MlModel.FileName), model.ToYaml(), cancellationToken).ConfigureAwait(false);
            Directory.Move(staging, path);
            return model;
        }
        catch
        {
            TryDelete(staging);
            throw;
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
