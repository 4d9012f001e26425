using System.Buffers;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Strata.Core.Artifacts;
using Strata.Core.Errors;
using AwsByteRange = Amazon.S3.Model.ByteRange;
using ByteRange = Strata.Core.Artifacts.ByteRange;

namespace Strata.Storage.Artifacts;

/// <summary>
/// Artifacts in an S3-compatible bucket under a key prefix. A directory is a key prefix ending in
/// <c>/</c>. Uploads are one PUT up to <see cref="S3ArtifactStoreOptions.PartSize"/>, otherwise a
/// hand-driven multipart upload (the SDK's TransferUtility cannot send unchunked payloads), holding at
/// most <see cref="S3ArtifactStoreOptions.MaxConcurrentParts"/> part buffers in memory. An object only
/// appears when its PUT or multipart completion succeeds, so an interrupted upload leaves nothing.
/// </summary>
public sealed partial class S3ArtifactStore : IArtifactStore, IDisposable
{
    private const int MinimumPartSize = 5 << 20;
    private const int DeleteBatchSize = 1000;

    private readonly S3ArtifactStoreOptions _options;
    private readonly IAmazonS3 _client;
    private readonly string _prefix;
    private readonly bool _unchunked;

    public S3ArtifactStore(S3ArtifactStoreOptions options)
    {
        if (options.PartSize < MinimumPartSize)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"PartSize must be at least {MinimumPartSize} bytes (S3's minimum part size)");
        }

        _options = options;
        _prefix = options.Prefix.Trim('/');
        _unchunked = options.UnchunkedPayloads ?? options.IsCustomEndpoint;
        _client = CreateClient(options);
    }

    public string Location => _prefix.Length == 0 ? $"s3://{_options.Bucket}" : $"s3://{_options.Bucket}/{_prefix}";

    public bool SupportsMultipart => true;

    public IAmazonS3 Client => _client;

    public async Task UploadAsync(string path, Stream content, CancellationToken ct)
    {
        var key = FileKey(path);
        var partSize = _options.PartSize;
        var pool = ArrayPool<byte>.Shared;
        var first = pool.Rent(partSize);
        var firstCount = 0;
        var second = (byte[]?)null;
        try
        {
            firstCount = await FillAsync(content, first, partSize, ct);
            var secondCount = 0;
            if (firstCount == partSize)
            {
                second = pool.Rent(partSize);
                secondCount = await FillAsync(content, second, partSize, ct);
            }

            if (secondCount == 0)
            {
                await PutAsync(key, first, firstCount, ct);
                return;
            }

            var buffers = new[] { first, second! };
            first = null;
            second = null;
            await UploadMultipartAsync(key, content, buffers, secondCount, ct);
        }
        finally
        {
            if (first is not null)
            {
                pool.Return(first);
            }

            if (second is not null)
            {
                pool.Return(second);
            }
        }
    }

    public async Task DownloadAsync(string path, Stream destination, ByteRange? range, CancellationToken ct)
    {
        var request = new GetObjectRequest { BucketName = _options.Bucket, Key = FileKey(path) };
        if (range is { } r)
        {
            request.ByteRange = new AwsByteRange(r.Offset, r.LastByte);
        }

        GetObjectResponse response;
        try
        {
            response = await _client.GetObjectAsync(request, ct);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw MlflowException.NotFound($"No artifact found at '{path}'");
        }

        using (response)
        {
            await response.ResponseStream.CopyToAsync(destination, 1 << 20, ct);
        }
    }

    public async Task<ArtifactStat?> StatAsync(string path, CancellationToken ct)
    {
        var normalized = ArtifactPath.Validate(path);
        if (normalized.Length > 0)
        {
            try
            {
                var head = await _client.GetObjectMetadataAsync(_options.Bucket, Key(normalized), ct);
                return new ArtifactStat(false, head.ContentLength);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                // Not a file; maybe a directory.
            }
        }

        var probe = await _client.ListObjectsV2Async(new ListObjectsV2Request
        {
            BucketName = _options.Bucket,
            Prefix = DirectoryPrefix(normalized),
            MaxKeys = 1,
        }, ct);
        return probe.S3Objects is { Count: > 0 } ? new ArtifactStat(true, 0) : null;
    }

    public async Task<IReadOnlyList<ArtifactEntry>?> ListAsync(string directory, CancellationToken ct)
    {
        var prefix = DirectoryPrefix(ArtifactPath.Validate(directory));
        var entries = new List<ArtifactEntry>();
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = prefix, Delimiter = "/" };
        var any = false;
        do
        {
            var page = await _client.ListObjectsV2Async(request, ct);
            foreach (var common in page.CommonPrefixes ?? [])
            {
                any = true;
                var name = common[prefix.Length..].TrimEnd('/');
                if (IsListableName(name))
                {
                    entries.Add(new ArtifactEntry(name, true, null));
                }
            }

            foreach (var obj in page.S3Objects ?? [])
            {
                any = true;
                var name = obj.Key[prefix.Length..];
                if (IsListableName(name))
                {
                    entries.Add(new ArtifactEntry(name, false, obj.Size ?? 0));
                }
            }

            request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);

        if (!any)
        {
            return null;
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return entries;
    }

    public async Task DeleteAsync(string path, CancellationToken ct)
    {
        var normalized = ArtifactPath.Validate(path);
        var keys = new List<string>(DeleteBatchSize);
        if (normalized.Length > 0)
        {
            keys.Add(Key(normalized));
        }

        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = DirectoryPrefix(normalized) };
        do
        {
            var page = await _client.ListObjectsV2Async(request, ct);
            foreach (var obj in page.S3Objects ?? [])
            {
                keys.Add(obj.Key);
                if (keys.Count == DeleteBatchSize)
                {
                    await DeleteKeysAsync(keys, ct);
                }
            }

            request.ContinuationToken = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);

        await DeleteKeysAsync(keys, ct);
    }

    public void Dispose() => _client.Dispose();

    private static IAmazonS3 CreateClient(S3ArtifactStoreOptions options)
    {
        var custom = options.IsCustomEndpoint;
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle ?? custom,
            AuthenticationRegion = options.Region,
        };
        if (custom)
        {
            config.ServiceURL = options.ServiceUrl;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }

        if (options.ChecksumsWhenRequiredOnly ?? custom)
        {
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }

        if (options.AccessKeyId is { } accessKey && options.SecretAccessKey is { } secret)
        {
            AWSCredentials credentials = options.SessionToken is { } token
                ? new SessionAWSCredentials(accessKey, secret, token)
                : new BasicAWSCredentials(accessKey, secret);
            return new AmazonS3Client(credentials, config);
        }

        return new AmazonS3Client(config);
    }

    private async Task PutAsync(string key, byte[] buffer, int count, CancellationToken ct)
    {
        using var body = new MemoryStream(buffer, 0, count, writable: false);
        await _client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            InputStream = body,
            AutoCloseStream = false,
            UseChunkEncoding = !_unchunked,
        }, ct);
    }

    /// <summary>
    /// Multipart upload of a stream whose first two parts are already in <paramref name="buffers"/>
    /// (the first full, the second holding <paramref name="secondCount"/> bytes). Takes ownership of the buffers.
    /// </summary>
    private async Task UploadMultipartAsync(string key, Stream content, byte[][] buffers, int secondCount, CancellationToken ct)
    {
        var pool = ArrayPool<byte>.Shared;
        var partSize = _options.PartSize;
        var rented = new List<byte[]>(buffers);
        var inFlight = new Queue<(Task<PartETag> Upload, byte[] Buffer)>();
        var parts = new List<PartETag>();
        string? uploadId = null;
        try
        {
            uploadId = (await _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = key,
            }, ct)).UploadId;

            var partNumber = 1;
            inFlight.Enqueue((UploadPartFromBufferAsync(key, uploadId, partNumber, buffers[0], partSize, ct), buffers[0]));
            var buffer = buffers[1];
            var count = secondCount;
            while (true)
            {
                partNumber++;
                inFlight.Enqueue((UploadPartFromBufferAsync(key, uploadId, partNumber, buffer, count, ct), buffer));
                if (count < partSize)
                {
                    break;
                }

                if (inFlight.Count >= Math.Max(1, _options.MaxConcurrentParts))
                {
                    var (upload, free) = inFlight.Dequeue();
                    parts.Add(await upload);
                    buffer = free;
                }
                else
                {
                    buffer = pool.Rent(partSize);
                    rented.Add(buffer);
                }

                count = await FillAsync(content, buffer, partSize, ct);
                if (count == 0)
                {
                    break;
                }
            }

            while (inFlight.Count > 0)
            {
                parts.Add(await inFlight.Dequeue().Upload);
            }

            await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = key,
                UploadId = uploadId,
                PartETags = parts,
            }, ct);
        }
        catch
        {
            // Parts still uploading read from the pooled buffers: let them finish before the buffers go back.
            foreach (var (upload, _) in inFlight)
            {
                try
                {
                    await upload;
                }
                catch
                {
                    // The first failure is the one worth reporting.
                }
            }

            if (uploadId is not null)
            {
                await AbortQuietlyAsync(key, uploadId);
            }

            throw;
        }
        finally
        {
            foreach (var buffer in rented)
            {
                pool.Return(buffer);
            }
        }
    }

    private async Task<PartETag> UploadPartFromBufferAsync(string key, string uploadId, int partNumber, byte[] buffer, int count, CancellationToken ct)
    {
        using var body = new MemoryStream(buffer, 0, count, writable: false);
        var response = await _client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            UploadId = uploadId,
            PartNumber = partNumber,
            InputStream = body,
            PartSize = count,
            UseChunkEncoding = !_unchunked,
        }, ct);
        return new PartETag(partNumber, response.ETag);
    }

    private async Task AbortQuietlyAsync(string key, string uploadId)
    {
        try
        {
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = key,
                UploadId = uploadId,
            }, CancellationToken.None);
        }
        catch (AmazonServiceException)
        {
            // An upload nobody completes is invisible; bucket lifecycle rules remove leftovers.
        }
    }

    private async Task DeleteKeysAsync(List<string> keys, CancellationToken ct)
    {
        if (keys.Count == 0)
        {
            return;
        }

        var response = await _client.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = _options.Bucket,
            Objects = keys.Select(k => new KeyVersion { Key = k }).ToList(),
        }, ct);
        keys.Clear();
        if (response.DeleteErrors is { Count: > 0 } errors)
        {
            throw new IOException($"S3 refused to delete {errors.Count} objects, e.g. '{errors[0].Key}': {errors[0].Code} {errors[0].Message}");
        }
    }

    /// <summary>Reads until the buffer holds <paramref name="size"/> bytes or the stream ends.</summary>
    private static async Task<int> FillAsync(Stream content, byte[] buffer, int size, CancellationToken ct)
    {
        var filled = 0;
        while (filled < size)
        {
            var read = await content.ReadAsync(buffer.AsMemory(filled, size - filled), ct);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }

    /// <summary>The object key of a file path; the root is not a file.</summary>
    private string FileKey(string path)
    {
        var normalized = ArtifactPath.Validate(path);
        if (normalized.Length == 0)
        {
            throw MlflowException.InvalidParameter(ArtifactPath.InvalidPathMessage);
        }

        return Key(normalized);
    }

    private string Key(string normalized) => _prefix.Length == 0 ? normalized : _prefix + "/" + normalized;

    /// <summary>The key prefix of everything below a directory ("" lists the whole bucket).</summary>
    private string DirectoryPrefix(string normalized)
    {
        var key = normalized.Length == 0 ? _prefix : Key(normalized);
        return key.Length == 0 ? "" : key + "/";
    }

    /// <summary>Keys such as <c>a//b</c> or a directory marker <c>a/</c> give names a client cannot use.</summary>
    private static bool IsListableName(string name) => name.Length > 0 && name != "." && name != ".." && !name.Contains('/');
}
