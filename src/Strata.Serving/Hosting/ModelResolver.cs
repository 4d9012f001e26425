using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Core.Errors;
using Strata.Core.Models;

namespace Strata.Serving.Hosting;

/// <summary>A model URI pinned to one version, with the local folder holding its files.</summary>
public sealed record ResolvedModel(string Version, string Folder);

/// <summary>
/// Resolves model URIs the way MLflow's client does (spec §3), over a Strata (or MLflow) tracking server's REST API,
/// and downloads the model into a local cache folder (<c>&lt;cache&gt;/&lt;name&gt;/&lt;version&gt;</c>, written to a
/// temp folder and renamed into place). Artifacts are fetched from local paths directly or through the server's
/// artifact proxy (<c>mlflow-artifacts:/</c>).
/// </summary>
public sealed class ModelResolver(Func<HttpClient?> tracking, string cacheDirectory)
{
    // Created on first use and kept; a factory that cannot answer yet (no listening address) is asked again later.
    private HttpClient? _client;

    public ModelResolver(HttpClient? tracking, string cacheDirectory)
        : this(() => tracking, cacheDirectory)
    {
    }

    private const string Api = "api/2.0/mlflow/";
    private const string ArtifactsApi = "api/2.0/mlflow-artifacts/artifacts";

    /// <summary>The version a URI points at now (no download); cheap enough to poll.</summary>
    public async Task<string> ResolveVersionAsync(ModelUri uri, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(uri);
        switch (uri.Kind)
        {
            case ModelUriKind.LocalFolder:
                var model = await Models.ModelFolder.ReadMlModelAsync(uri.SubPath!, ct).ConfigureAwait(false);
                return model.ModelUuid is { Length: > 0 } uuid ? uuid : "1";
            case ModelUriKind.Run:
                return uri.Name!;
            case ModelUriKind.RegistryVersion:
                return uri.Reference!;
            case ModelUriKind.RegistryAlias:
            {
                var body = await GetJsonAsync(
                    $"{Api}registered-models/alias?name={Escape(uri.Name!)}&alias={Escape(uri.Reference!)}", ct).ConfigureAwait(false);
                return body["model_version"]?["version"]?.GetValue<string>()
                    ?? throw MlflowException.NotFound($"Alias '{uri.Reference}' of model '{uri.Name}' points at no version.");
            }

            default:
            {
                var request = new JsonObject { ["name"] = uri.Name };
                if (uri.Kind == ModelUriKind.RegistryStage)
                {
                    request["stages"] = new JsonArray(uri.Reference!);
                }

                var body = await PostJsonAsync($"{Api}registered-models/get-latest-versions", request, ct).ConfigureAwait(false);
                var versions = (body["model_versions"] as JsonArray ?? [])
                    .Select(v => long.Parse(v!["version"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture))
                    .ToList();
                return versions.Count == 0
                    ? throw MlflowException.NotFound($"No versions of model with name '{uri.Name}' and stage '{uri.Reference}' found")
                    : versions.Max().ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary>Resolves the URI to a version and makes sure its files are in a local folder.</summary>
    public async Task<ResolvedModel> ResolveAsync(ModelUri uri, CancellationToken ct)
    {
        var version = await ResolveVersionAsync(uri, ct).ConfigureAwait(false);
        return await DownloadAsync(uri, version, ct).ConfigureAwait(false);
    }

    public async Task<ResolvedModel> DownloadAsync(ModelUri uri, string version, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (uri.Kind == ModelUriKind.LocalFolder)
        {
            return new ResolvedModel(version, uri.SubPath!);
        }

        string artifactUri;
        if (uri.Kind == ModelUriKind.Run)
        {
            var run = await GetJsonAsync($"{Api}runs/get?run_id={Escape(uri.Name!)}", ct).ConfigureAwait(false);
            var root = run["run"]?["info"]?["artifact_uri"]?.GetValue<string>()
                ?? throw MlflowException.NotFound($"Run '{uri.Name}' has no artifact_uri.");
            artifactUri = string.IsNullOrEmpty(uri.SubPath) ? root : root.TrimEnd('/') + "/" + uri.SubPath;
        }
        else
        {
            var body = await GetJsonAsync(
                $"{Api}model-versions/get-download-uri?name={Escape(uri.Name!)}&version={Escape(version)}", ct).ConfigureAwait(false);
            artifactUri = body["artifact_uri"]?.GetValue<string>()
                ?? throw MlflowException.NotFound($"Model '{uri.Name}' version {version} has no artifact_uri.");
        }

        var local = LocalPath(artifactUri);
        if (local is not null)
        {
            return new ResolvedModel(version, local);
        }

        var target = Path.Combine(cacheDirectory, Sanitize(uri.Name ?? "model"), Sanitize(version));
        if (File.Exists(Path.Combine(target, MlModel.FileName)))
        {
            return new ResolvedModel(version, target);
        }

        var temp = Path.Combine(cacheDirectory, ".tmp", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(temp);
        try
        {
            await DownloadTreeAsync(ProxyPath(artifactUri), temp, ct).ConfigureAwait(false);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            try
            {
                Directory.Move(temp, target);
            }
            catch (IOException) when (File.Exists(Path.Combine(target, MlModel.FileName)))
            {
                // Another process downloaded the same version first; theirs is as good as ours.
            }
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }

        return new ResolvedModel(version, target);
    }

    private static string? LocalPath(string artifactUri)
    {
        if (artifactUri.StartsWith("file://", StringComparison.Ordinal))
        {
            return new Uri(artifactUri).LocalPath;
        }

        return artifactUri.Contains("://", StringComparison.Ordinal) || artifactUri.Contains(":/", StringComparison.Ordinal) ? null : Path.GetFullPath(artifactUri);
    }

    /// <summary>The path under the artifact proxy for <c>mlflow-artifacts:/p</c> or <c>http(s)://host/api/2.0/mlflow-artifacts/artifacts/p</c>.</summary>
    private static string ProxyPath(string artifactUri)
    {
        if (artifactUri.StartsWith("mlflow-artifacts:", StringComparison.Ordinal))
        {
            var rest = artifactUri["mlflow-artifacts:".Length..];
            if (rest.StartsWith("//", StringComparison.Ordinal))
            {
                // mlflow-artifacts://host:port/path names a host; the path is what follows it.
                var slash = rest.IndexOf('/', 2);
                rest = slash < 0 ? string.Empty : rest[slash..];
            }

            return rest.Trim('/');
        }

        var marker = "/" + ArtifactsApi + "/";
        var at = artifactUri.IndexOf(marker, StringComparison.Ordinal);
        if (at >= 0)
        {
            return artifactUri[(at + marker.Length)..].Trim('/');
        }

        throw MlflowException.InvalidParameter(
            $"Cannot download the model from '{artifactUri}': serve models stored on the local disk or behind the tracking server's artifact proxy (mlflow-artifacts:/).");
    }

    private async Task DownloadTreeAsync(string path, string destination, CancellationToken ct)
    {
        var listing = await GetJsonAsync($"{ArtifactsApi}?path={Escape(path)}", ct).ConfigureAwait(false);
        foreach (var file in listing["files"] as JsonArray ?? [])
        {
            var name = file!["path"]!.GetValue<string>();
            var relative = name.StartsWith(path + "/", StringComparison.Ordinal) ? name[(path.Length + 1)..] : name;
            var child = path.Length == 0 ? relative : path + "/" + relative;
            var local = Path.GetFullPath(Path.Combine(destination, relative));
            if (!local.StartsWith(Path.GetFullPath(destination), StringComparison.Ordinal) || relative.Contains("..", StringComparison.Ordinal))
            {
                throw MlflowException.InvalidParameter($"The artifact listing names an unsafe path '{name}'.");
            }

            if (file["is_dir"]?.GetValue<bool>() == true)
            {
                Directory.CreateDirectory(local);
                await DownloadTreeAsync(child, local, ct).ConfigureAwait(false);
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(local)!);
            using var response = await Client.GetAsync(
                $"{ArtifactsApi}/{string.Join('/', child.Split('/').Select(Uri.EscapeDataString))}", HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
            await using var source = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using var target = File.Create(local);
            await source.CopyToAsync(target, ct).ConfigureAwait(false);
        }
    }

    private HttpClient Client => _client ??= tracking()
        ?? throw MlflowException.InvalidParameter("This model URI needs a tracking server: pass --tracking-uri (or set MLFLOW_TRACKING_URI).");

    private async Task<JsonNode> GetJsonAsync(string path, CancellationToken ct)
    {
        using var response = await Client.GetAsync(path, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<JsonNode>(ct).ConfigureAwait(false) ?? new JsonObject();
    }

    private async Task<JsonNode> PostJsonAsync(string path, JsonObject body, CancellationToken ct)
    {
        using var response = await Client.PostAsJsonAsync(path, body, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<JsonNode>(ct).ConfigureAwait(false) ?? new JsonObject();
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var message = text;
        var code = ErrorCode.INTERNAL_ERROR;
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.TryGetProperty("message", out var m))
            {
                message = m.GetString() ?? text;
            }

            if (doc.RootElement.TryGetProperty("error_code", out var c) && Enum.TryParse<ErrorCode>(c.GetString(), out var parsed))
            {
                code = parsed;
            }
        }
        catch (JsonException)
        {
        }

        throw new MlflowException(code, $"The tracking server answered {(int)response.StatusCode} to {response.RequestMessage?.RequestUri}: {message}");
    }

    private static string Escape(string value) => Uri.EscapeDataString(value);

    private static string Sanitize(string segment)
    {
        var chars = segment.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray();
        var s = new string(chars);
        return s is "." or ".." ? "_" : s;
    }
}
