using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Strata.Core.Artifacts;
using Strata.Core.Errors;

namespace Strata.Server.Artifacts;

/// <summary>
/// Multipart uploads (§3.5). Each credential URL points back at this server's <c>mpu/part</c> endpoint,
/// which streams the part into the store, so clients still never need storage credentials. With <c>--auth</c> each
/// URL carries a signed grant for its one part (<see cref="Auth.PartUrlGrants"/>), so it needs no Strata credentials either.
/// </summary>
public static partial class ArtifactsApi
{
    public const string MultipartNotSupportedMessage = "Multipart upload is not supported for the current artifact repository";

    private const int MaxParts = 10_000;
    private const int MaxJsonBody = 4 << 20;

    private static void MapMultipart(RouteGroupBuilder group, string prefix)
    {
        group.MapPost("/mpu/create/{**path}", (HttpContext http, IArtifactStore store, string? path) => CreateMultipartAsync(http, store, path, prefix))
            .WithName(prefix + ":mpu-create");
        group.MapPost("/mpu/complete/{**path}", CompleteMultipartAsync).WithName(prefix + ":mpu-complete");
        group.MapPost("/mpu/abort/{**path}", AbortMultipartAsync).WithName(prefix + ":mpu-abort");
        group.MapPut("/mpu/part/{**path}", UploadPartAsync).WithName(prefix + ":mpu-part");
    }

    private static async Task<IResult> CreateMultipartAsync(HttpContext http, IArtifactStore store, string? path, string prefix)
    {
        RequireMultipart(store);
        var body = await ReadJsonAsync(http, ArtifactsJsonContext.Default.CreateMultipartUploadJson);
        var file = TargetFile(http, path, body.Path);
        var numParts = body.NumParts ?? throw MlflowException.MissingParameter("num_parts");
        if (numParts is < 1 or > MaxParts)
        {
            throw MlflowException.InvalidParameter($"Invalid value {numParts} for parameter 'num_parts': must be between 1 and {MaxParts}");
        }

        var uploadId = await store.CreateMultipartUploadAsync(file, http.RequestAborted);
        var partBase = PartUrlBase(http.Request, prefix, file, uploadId);
        var grants = http.RequestServices.GetService<Auth.PartUrlGrants>() is { Enabled: true } g ? g : null;
        var credentials = new List<MultipartCredentialJson>((int)numParts);
        for (var part = 1; part <= numParts; part++)
        {
            // With --auth each URL carries its own signed grant: clients PUT parts without credentials, as to S3.
            var grant = grants is null ? "" : await grants.SignAsync(file, uploadId, part, http.RequestAborted);
            credentials.Add(new MultipartCredentialJson(
                partBase + part.ToString(CultureInfo.InvariantCulture) + grant, part, new Dictionary<string, string>()));
        }

        return Results.Json(new CreateMultipartUploadResponseJson(uploadId, credentials), ArtifactsJsonContext.Default.CreateMultipartUploadResponseJson);
    }

    private static async Task<IResult> UploadPartAsync(HttpContext http, IArtifactStore store, string? path)
    {
        RequireMultipart(store);
        var file = FilePath(http, path);
        var uploadId = RequiredQuery(http, "upload_id");
        if (!int.TryParse(RequiredQuery(http, "part_number"), NumberStyles.None, CultureInfo.InvariantCulture, out var partNumber)
            || partNumber is < 1 or > MaxParts)
        {
            throw MlflowException.InvalidParameter($"Invalid value for parameter 'part_number': must be between 1 and {MaxParts}");
        }

        AllowUnlimitedBody(http);
        var etag = await store.UploadPartAsync(file, uploadId, partNumber, http.Request.Body, http.RequestAborted);
        http.Response.Headers.ETag = etag.StartsWith('"') ? etag : "\"" + etag + "\"";
        return Empty();
    }

    private static async Task<IResult> CompleteMultipartAsync(HttpContext http, IArtifactStore store, string? path)
    {
        RequireMultipart(store);
        var body = await ReadJsonAsync(http, ArtifactsJsonContext.Default.CompleteMultipartUploadJson);
        var file = TargetFile(http, path, body.Path);
        var uploadId = Required(body.UploadId, "upload_id");
        if (body.Parts is not { Count: > 0 } parts)
        {
            throw MlflowException.MissingParameter("parts");
        }

        var uploaded = new List<UploadedPart>(parts.Count);
        foreach (var part in parts)
        {
            if (part.PartNumber is not { } number || number is < 1 or > MaxParts)
            {
                throw MlflowException.InvalidParameter($"Invalid value for parameter 'parts.part_number': must be between 1 and {MaxParts}");
            }

            uploaded.Add(new UploadedPart((int)number, Required(part.ETag, "parts.etag")));
        }

        await store.CompleteMultipartUploadAsync(file, uploadId, uploaded, http.RequestAborted);
        return Empty();
    }

    private static async Task<IResult> AbortMultipartAsync(HttpContext http, IArtifactStore store, string? path)
    {
        RequireMultipart(store);
        var body = await ReadJsonAsync(http, ArtifactsJsonContext.Default.AbortMultipartUploadJson);
        var file = TargetFile(http, path, body.Path);
        await store.AbortMultipartUploadAsync(file, Required(body.UploadId, "upload_id"), http.RequestAborted);
        return Empty();
    }

    private static void RequireMultipart(IArtifactStore store)
    {
        if (!store.SupportsMultipart)
        {
            throw new MlflowException(ErrorCode.NOT_IMPLEMENTED, MultipartNotSupportedMessage);
        }
    }

    /// <summary>
    /// The file a multipart call is about: the URL path is its directory, the base name of the body's
    /// <c>path</c> (the client's local file, maybe a Windows path) its name.
    /// </summary>
    private static string TargetFile(HttpContext http, string? directory, string? localPath)
    {
        var local = Required(localPath, "path");
        var name = local[(local.LastIndexOfAny(['/', '\\']) + 1)..];
        if (name.Length == 0)
        {
            throw MlflowException.InvalidParameter(ArtifactPath.InvalidPathMessage);
        }

        return ArtifactPath.Join(RoutePath(http, directory), ArtifactPath.Validate(name));
    }

    private static string PartUrlBase(HttpRequest request, string prefix, string file, string uploadId)
    {
        var escapedPath = string.Join('/', file.Split('/').Select(Uri.EscapeDataString));
        return $"{request.Scheme}://{request.Host}{request.PathBase}{prefix}/mpu/part/{escapedPath}"
            + $"?upload_id={Uri.EscapeDataString(uploadId)}&part_number=";
    }

    private static async Task<T> ReadJsonAsync<T>(HttpContext http, JsonTypeInfo<T> type)
        where T : class
    {
        // Control bodies are small; reading them whole lets an empty body count as {} like MLflow.
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxJsonBody)
            {
                throw MlflowException.InvalidParameter("Request body too large");
            }
        }

        try
        {
            return buffer.Length == 0
                ? JsonSerializer.Deserialize("{}", type)!
                : JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), type) ?? JsonSerializer.Deserialize("{}", type)!;
        }
        catch (JsonException e)
        {
            throw MlflowException.InvalidParameter($"Malformed JSON request body: {e.Message}");
        }
    }

    private static string Required(string? value, string field) =>
        string.IsNullOrEmpty(value) ? throw MlflowException.MissingParameter(field) : value;

    private static string RequiredQuery(HttpContext http, string field) => Required(http.Request.Query[field].ToString(), field);
}
