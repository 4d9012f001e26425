using System.Globalization;
using Strata.Client.Artifacts;
using Strata.Client.Models;
using Strata.Client.Registry;
using Strata.Core.Errors;
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
        var parsed = ModelUri.Parse(modelUri);
        var location = parsed switch
        {
            ModelUri.LocalFolder local => new Uri(Path.GetFullPath(local.Path)).AbsoluteUri,
            ModelUri.Artifact artifact => artifact.Uri,
            ModelUri.RunArtifact run => JoinUri(await RunArtifactUriAsync(run.RunId, ct).ConfigureAwait(false), run.Path),
            ModelUri.LoggedModelId logged => (await GetLoggedModelAsync(logged.ModelId, ct).ConfigureAwait(false)).Info.ArtifactUri,
            ModelUri.RegisteredVersion v => await GetModelVersionDownloadUriAsync(v.Name, v.Version, ct).ConfigureAwait(false),
            ModelUri.RegisteredAlias a => await GetModelVersionDownloadUriAsync(
                a.Name, (await GetModelVersionByAliasAsync(a.Name, a.Alias, ct).ConfigureAwait(false)).Version, ct).ConfigureAwait(false),
            ModelUri.RegisteredStage s => await LatestDownloadUriAsync(s.Name, [s.Stage], ct).ConfigureAwait(false),
            ModelUri.RegisteredLatest l => await LatestDownloadUriAsync(l.Name, null, ct).ConfigureAwait(false),
            _ => throw new FormatException($"Unsupported model URI '{modelUri}'."),
        };
        // A 3.x version registered from "models:/m-..." may hand back that form as its download URI.
        if (location.StartsWith("models:/", StringComparison.Ordinal) && parsed is not ModelUri.LoggedModelId)
        {
            location = await ResolveModelUriAsync(location, ct).ConfigureAwait(false);
        }
        return JoinUri(location, parsed.SubPath);
    }

    /// <summary>Downloads the model folder a reference points to into <paramref name="localDirectory"/> and returns
    /// the local folder (a local reference is returned as is, without copying).</summary>
    public async Task<string> DownloadModelAsync(string modelUri, string localDirectory, CancellationToken ct = default)
    {
        if (ModelUri.Parse(modelUri) is ModelUri.LocalFolder local)
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

    private async Task<string> LatestDownloadUriAsync(string name, IReadOnlyList<string>? stages, CancellationToken ct)
    {
        var versions = await GetLatestVersionsAsync(name, stages, ct).ConfigureAwait(false);
        var latest = versions.MaxBy(v => long.Parse(v.Version, CultureInfo.InvariantCulture))
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
