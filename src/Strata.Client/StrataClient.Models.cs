using System.Globalization;
using Strata.Client.Artifacts;
using Strata.Client.Models;
using Strata.Core.Errors;
using Strata.Core.Registry;
using Strata.Core.Tracking;

namespace Strata.Client;

public sealed partial class StrataClient
{
    /// <summary>
    /// Turns a model reference into the artifact URI of its folder (or of a path inside it), with the REST calls of
    /// the model-format spec §3. Local folders resolve to a <c>file:</c> URI.
    /// </summary>
    public async Task<string> ResolveModelUriAsync(string modelUri, CancellationToken ct = default)
    {
        var parsed = ModelReference.Parse(modelUri);
        var (location, subPath) = parsed switch
        {
            ModelReference.LocalFolder local => (new Uri(Path.GetFullPath(local.Path)).AbsoluteUri, ""),
            ModelReference.Artifact artifact => (artifact.Uri, ""),
            ModelReference.RunArtifact run => (await RunArtifactUriAsync(run.RunId, ct).ConfigureAwait(false), run.Path),
            ModelReference.Registered registered => (await ResolveRegisteredAsync(registered.Uri, ct).ConfigureAwait(false), registered.Uri.SubPath),
            _ => throw new FormatException($"Unsupported model URI '{modelUri}'."),
        };
        return JoinUri(location, subPath);
    }

    /// <summary>Downloads the model folder a reference points to into <paramref name="localDirectory"/> and returns
    /// the local folder (a local reference is returned as is, without copying).</summary>
    public async Task<string> DownloadModelAsync(string modelUri, string localDirectory, CancellationToken ct = default)
    {
        if (ModelReference.Parse(modelUri) is ModelReference.LocalFolder local)
        {
            return Path.GetFullPath(local.Path);
        }
        var location = await ResolveModelUriAsync(modelUri, ct).ConfigureAwait(false);
        if (ArtifactLocation.Resolve(location, _baseUri) is ArtifactLocation.Local dir)
        {
            return dir.Directory;
        }
        return await DownloadArtifactsFromUriAsync(location, null, localDirectory, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Registers <paramref name="source"/> as a new version of <paramref name="name"/> (creating the registered model
    /// if needed), and waits while the version is PENDING_REGISTRATION.
    /// </summary>
    public async Task<ModelVersion> RegisterModelAsync(
        string name, string source, string? runId = null, string? modelId = null, IEnumerable<KeyValue>? tags = null,
        TimeSpan? waitTimeout = null, CancellationToken ct = default)
    {
        try
        {
            await CreateRegisteredModelAsync(name, ct: ct).ConfigureAwait(false);
        }
        catch (StrataApiException ex) when (ex.ErrorCode is ErrorCode.RESOURCE_ALREADY_EXISTS or ErrorCode.ALREADY_EXISTS)
        {
        }
        var version = await CreateModelVersionAsync(name, source, runId, tags, modelId: modelId, ct: ct).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + (waitTimeout ?? TimeSpan.FromMinutes(5));
        var delay = TimeSpan.FromMilliseconds(100);
        while (version.Status == ModelVersionStatus.PENDING_REGISTRATION)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Version {version.Version} of model '{name}' is still pending registration.");
            }
            await Task.Delay(delay, ct).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            version = await GetModelVersionAsync(name, version.Version, ct).ConfigureAwait(false);
        }
        if (version.Status == ModelVersionStatus.FAILED_REGISTRATION)
        {
            throw new InvalidOperationException(
                $"Registering version {version.Version} of model '{name}' failed: {version.StatusMessage ?? "no reason given"}.");
        }
        return version;
    }

    private async Task<string> ResolveRegisteredAsync(ModelUri uri, CancellationToken ct)
    {
        var location = uri.Kind switch
        {
            ModelUriKind.LoggedModel => (await GetLoggedModelAsync(uri.Reference, ct).ConfigureAwait(false)).Info.ArtifactUri,
            ModelUriKind.Version => await GetModelVersionDownloadUriAsync(
                uri.Name, long.Parse(uri.Reference, CultureInfo.InvariantCulture), ct).ConfigureAwait(false),
            ModelUriKind.Alias => await GetModelVersionDownloadUriAsync(
                uri.Name, (await GetModelVersionByAliasAsync(uri.Name, uri.Reference, ct).ConfigureAwait(false)).Version, ct).ConfigureAwait(false),
            ModelUriKind.Stage => await LatestDownloadUriAsync(uri.Name, [uri.Reference], ct).ConfigureAwait(false),
            _ => await LatestDownloadUriAsync(uri.Name, null, ct).ConfigureAwait(false),
        };
        // A version registered from "models:/m-..." may hand back that form as its download URI.
        return uri.Kind != ModelUriKind.LoggedModel && ModelUri.IsModelsUri(location)
            ? await ResolveRegisteredAsync(ModelUri.Parse(location), ct).ConfigureAwait(false)
            : location;
    }

    private async Task<string> LatestDownloadUriAsync(string name, IReadOnlyList<string>? stages, CancellationToken ct)
    {
        var versions = await GetLatestVersionsAsync(name, stages, ct).ConfigureAwait(false);
        var latest = versions.MaxBy(v => v.Version)
            ?? throw new StrataApiException(
                ErrorCode.RESOURCE_DOES_NOT_EXIST, System.Net.HttpStatusCode.NotFound,
                $"No versions of model with name '{name}'" + (stages is null ? "" : $" and stage '{stages[0]}'") + " found.");
        return await GetModelVersionDownloadUriAsync(name, latest.Version, ct).ConfigureAwait(false);
    }

    private static string JoinUri(string uri, string path)
    {
        var rel = ArtifactPaths.Normalize(path, nameof(path));
        return rel.Length == 0 ? uri : uri.TrimEnd('/') + "/" + rel;
    }
}
