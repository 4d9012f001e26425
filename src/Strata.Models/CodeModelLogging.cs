using Strata.Client;
using Strata.Client.Models;
using Strata.Serving.Models;

namespace Strata.Models;

/// <summary>Logging code models (<c>dotnet_function</c> flavor) from a run.</summary>
public static class CodeModelLogging
{
    /// <summary>
    /// Packs <paramref name="code"/> (the model's assembly and dependencies, its artifacts, a signature inferred from a typed
    /// model's rows) as a <c>dotnet_function</c> model, logs it as an output of <paramref name="run"/> and registers it when
    /// <see cref="LogModelOptions.RegisteredModelName"/> is set. An artifact given as a model URI (<c>models:/...</c>,
    /// <c>runs:/...</c>, <c>mlflow-artifacts:/...</c>) is downloaded first, so a registered model can be wrapped by name.
    /// </summary>
    public static async Task<LoggedModelResult> LogCodeModelAsync(
        this StrataRun run, CodeModel code, LogModelOptions? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(code);
        options ??= new LogModelOptions();
        var downloads = Directory.CreateTempSubdirectory("strata-code-artifacts-");
        try
        {
            var artifacts = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, source) in code.Artifacts)
            {
                artifacts[name] = ModelReference.Parse(source) is ModelReference.LocalFolder local
                    ? local.Path
                    : await run.Client.DownloadModelAsync(source, Path.Combine(downloads.FullName, name), ct).ConfigureAwait(false);
            }

            var packed = code with { Artifacts = artifacts, ArtifactUris = code.Artifacts };
            return await run.Client.LogModelFolderAsync(ModelLogging.Request(run, options, DotnetFunctionFlavor.Name), (logged, folder, c) =>
                DotnetFunctionFlavor.SaveAsync(folder, packed, ModelLogging.SaveOptions(run, logged, options), c), ct).ConfigureAwait(false);
        }
        finally
        {
            downloads.Delete(recursive: true);
        }
    }

    /// <summary>Logs the code model <typeparamref name="TModel"/> from its build output (see <see cref="LogCodeModelAsync(StrataRun, CodeModel, LogModelOptions?, CancellationToken)"/>).</summary>
    public static Task<LoggedModelResult> LogCodeModelAsync<TModel>(
        this StrataRun run, IReadOnlyDictionary<string, string>? artifacts = null, LogModelOptions? options = null, CancellationToken ct = default)
        where TModel : class =>
        run.LogCodeModelAsync(CodeModel.For<TModel>() with { Artifacts = artifacts ?? new Dictionary<string, string>() }, options, ct);
}
