using Strata.Core.Errors;

namespace Strata.Storage.Artifacts;

/// <summary>Where and how <see cref="S3ArtifactStore"/> talks to an S3-compatible object store.</summary>
public sealed record S3ArtifactStoreOptions
{
    public required string Bucket { get; init; }

    /// <summary>Key prefix under which the destination root lives, without leading or trailing slash ("" = bucket root).</summary>
    public string Prefix { get; init; } = "";

    /// <summary>A custom endpoint (MinIO, s3rver, ...); null means AWS itself.</summary>
    public string? ServiceUrl { get; init; }

    public string Region { get; init; } = "us-east-1";

    /// <summary>Explicit credentials; when null the AWS SDK's default chain (environment, profile, instance role) applies.</summary>
    public string? AccessKeyId { get; init; }
    public string? SecretAccessKey { get; init; }
    public string? SessionToken { get; init; }

    /// <summary>Path-style addressing (<c>host/bucket/key</c>). Null: on for custom endpoints, off for AWS.</summary>
    public bool? ForcePathStyle { get; init; }

    /// <summary>
    /// Send bodies as plain payloads instead of aws-chunked streaming signatures. Null: on for custom
    /// endpoints, some of which (s3rver) store the chunk framing as if it were the content.
    /// </summary>
    public bool? UnchunkedPayloads { get; init; }

    /// <summary>
    /// Only send checksums where the S3 API requires them. Null: on for custom endpoints, which often
    /// do not understand the newer flexible-checksum headers.
    /// </summary>
    public bool? ChecksumsWhenRequiredOnly { get; init; }

    /// <summary>Uploads up to this size go in one PUT, larger ones as multipart with parts of this size (≥ 5 MiB).</summary>
    public int PartSize { get; init; } = 8 << 20;

    /// <summary>Parts of one upload in flight at once; memory per upload is about this times <see cref="PartSize"/>.</summary>
    public int MaxConcurrentParts { get; init; } = 2;

    /// <summary>Multipart parts sent through the proxy are held in memory up to this size, beyond it in a temporary file.</summary>
    public int PartSpoolMemoryLimit { get; init; } = 16 << 20;

    /// <summary>Where large proxied parts are spooled; null means the system temporary folder.</summary>
    public string? SpoolFolder { get; init; }

    internal bool IsCustomEndpoint => !string.IsNullOrEmpty(ServiceUrl);

    /// <summary>
    /// Options for an <c>s3://bucket/prefix</c> destination, with the endpoint taken from
    /// <c>MLFLOW_S3_ENDPOINT_URL</c> or <c>AWS_ENDPOINT_URL</c> and region and credentials from the
    /// standard AWS variables.
    /// </summary>
    public static S3ArtifactStoreOptions FromUri(string uri, Func<string, string?> environment)
    {
        if (!uri.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            throw MlflowException.InvalidParameter($"Not an S3 URI: '{uri}'");
        }

        var rest = uri["s3://".Length..];
        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        if (bucket.Length == 0)
        {
            throw MlflowException.InvalidParameter($"S3 URI without a bucket: '{uri}'");
        }

        static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

        return new S3ArtifactStoreOptions
        {
            Bucket = bucket,
            Prefix = prefix,
            ServiceUrl = NonEmpty(environment("MLFLOW_S3_ENDPOINT_URL")) ?? NonEmpty(environment("AWS_ENDPOINT_URL_S3")) ?? NonEmpty(environment("AWS_ENDPOINT_URL")),
            Region = NonEmpty(environment("AWS_REGION")) ?? NonEmpty(environment("AWS_DEFAULT_REGION")) ?? "us-east-1",
            AccessKeyId = NonEmpty(environment("AWS_ACCESS_KEY_ID")),
            SecretAccessKey = NonEmpty(environment("AWS_SECRET_ACCESS_KEY")),
            SessionToken = NonEmpty(environment("AWS_SESSION_TOKEN")),
        };
    }
}
