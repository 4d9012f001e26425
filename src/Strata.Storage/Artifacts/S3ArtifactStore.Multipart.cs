using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Strata.Core.Artifacts;
using Strata.Core.Errors;

namespace Strata.Storage.Artifacts;

/// <summary>Client-driven multipart uploads (the proxy's mpu endpoints) mapped onto S3's own.</summary>
public sealed partial class S3ArtifactStore
{
    public async Task<string> CreateMultipartUploadAsync(string path, CancellationToken ct)
    {
        var response = await _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = _options.Bucket,
            Key = FileKey(path),
        }, ct);
        return response.UploadId;
    }

    public async Task<string> UploadPartAsync(string path, string uploadId, int partNumber, Stream content, CancellationToken ct)
    {
        if (partNumber is < 1 or > 10_000)
        {
            throw MlflowException.InvalidParameter($"Invalid part_number {partNumber}: must be between 1 and 10000");
        }

        var key = FileKey(path);
        await using var body = await SpooledStream.CreateAsync(content, _options.PartSpoolMemoryLimit, _options.SpoolFolder, ct);
        try
        {
            var response = await _client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = _options.Bucket,
                Key = key,
                UploadId = uploadId,
                PartNumber = partNumber,
                InputStream = body,
                PartSize = body.Length,
                UseChunkEncoding = !_unchunked,
            }, ct);
            return response.ETag;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw MlflowException.NotFound($"Multipart upload '{uploadId}' does not exist");
        }
    }

    public async Task CompleteMultipartUploadAsync(string path, string uploadId, IReadOnlyList<UploadedPart> parts, CancellationToken ct)
    {
        if (parts.Count == 0)
        {
            throw MlflowException.InvalidParameter("Invalid parts: a multipart upload needs at least one part");
        }

        try
        {
            await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = FileKey(path),
                UploadId = uploadId,
                PartETags = parts.OrderBy(p => p.PartNumber).Select(p => new PartETag(p.PartNumber, p.ETag)).ToList(),
            }, ct);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw MlflowException.NotFound($"Multipart upload '{uploadId}' does not exist");
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.BadRequest)
        {
            throw MlflowException.InvalidParameter($"Invalid parts: {e.Message}");
        }
    }

    public async Task AbortMultipartUploadAsync(string path, string uploadId, CancellationToken ct)
    {
        try
        {
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = FileKey(path),
                UploadId = uploadId,
            }, ct);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone.
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented)
        {
            // Some S3 look-alikes (s3rver) cannot abort; an upload never completed stays invisible anyway.
        }
    }
}
