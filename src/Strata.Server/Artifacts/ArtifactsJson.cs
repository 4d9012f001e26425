using System.Text.Json.Serialization;

namespace Strata.Server.Artifacts;

/// <summary>FileInfo on the wire: <c>file_size</c> is omitted for directories and 0-byte files.</summary>
public sealed record FileInfoJson(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("is_dir")] bool IsDir,
    [property: JsonPropertyName("file_size")] long? FileSize);

/// <summary>The proxy listing; <c>files</c> is omitted when empty, so an empty or missing directory gives <c>{}</c>.</summary>
public sealed record ListArtifactsJson([property: JsonPropertyName("files")] IReadOnlyList<FileInfoJson>? Files);

/// <summary>The tracking API's artifacts/list and logged-model directories response.</summary>
public sealed record RunArtifactsJson(
    [property: JsonPropertyName("root_uri")] string RootUri,
    [property: JsonPropertyName("files")] IReadOnlyList<FileInfoJson>? Files);

public sealed record EmptyJson;

public sealed record ErrorJson(
    [property: JsonPropertyName("error_code")] string ErrorCode,
    [property: JsonPropertyName("message")] string Message);

public sealed record CreateMultipartUploadJson(
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("num_parts")] long? NumParts);

public sealed record MultipartCredentialJson(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("part_number")] long PartNumber,
    [property: JsonPropertyName("headers")] IReadOnlyDictionary<string, string> Headers);

public sealed record CreateMultipartUploadResponseJson(
    [property: JsonPropertyName("upload_id")] string UploadId,
    [property: JsonPropertyName("credentials")] IReadOnlyList<MultipartCredentialJson> Credentials);

public sealed record MultipartPartJson(
    [property: JsonPropertyName("part_number")] long? PartNumber,
    [property: JsonPropertyName("etag")] string? ETag,
    [property: JsonPropertyName("url")] string? Url);

public sealed record CompleteMultipartUploadJson(
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("upload_id")] string? UploadId,
    [property: JsonPropertyName("parts")] IReadOnlyList<MultipartPartJson>? Parts);

public sealed record AbortMultipartUploadJson(
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("upload_id")] string? UploadId);

/// <summary>int64 fields are accepted as numbers or decimal strings (protobuf JSON), unknown fields ignored.</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(ListArtifactsJson))]
[JsonSerializable(typeof(RunArtifactsJson))]
[JsonSerializable(typeof(EmptyJson))]
[JsonSerializable(typeof(ErrorJson))]
[JsonSerializable(typeof(CreateMultipartUploadJson))]
[JsonSerializable(typeof(CreateMultipartUploadResponseJson))]
[JsonSerializable(typeof(CompleteMultipartUploadJson))]
[JsonSerializable(typeof(AbortMultipartUploadJson))]
internal sealed partial class ArtifactsJsonContext : JsonSerializerContext;
