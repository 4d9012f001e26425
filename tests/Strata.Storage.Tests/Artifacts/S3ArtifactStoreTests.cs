using System.Security.Cryptography;
using Amazon.S3.Model;
using Strata.Core.Artifacts;
using Strata.Storage.Artifacts;

namespace Strata.Tests.Artifacts;

public sealed class S3ArtifactStoreTests(S3rverServer s3) : ArtifactStoreContractTests, IClassFixture<S3rverServer>
{
    private readonly List<(string Bucket, S3ArtifactStore Store)> _stores = [];

    protected override async Task<IArtifactStore> NewStoreAsync()
    {
        var bucket = await s3.CreateBucketAsync();
        var store = new S3ArtifactStore(s3.Options(bucket, "dest/prefix"));
        _stores.Add((bucket, store));
        return store;
    }

    // s3rver can neither list nor abort multipart uploads; what matters, that no object appears, is
    // checked by listing in each test.
    protected override Task<int?> CountUnfinishedUploadsAsync(IArtifactStore store) => Task.FromResult<int?>(null);

    protected override bool BackendAbortsUploads => false;

    [Fact]
    public async Task Keys_live_under_the_prefix()
    {
        var store = await NewStoreAsync();
        await UploadAsync(store, "0/r/artifacts/m.txt", [1]);
        var bucket = _stores[^1].Bucket;
        var objects = await _stores[^1].Store.Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(["dest/prefix/0/r/artifacts/m.txt"], objects.S3Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task Unchunked_payloads_store_the_bytes_verbatim()
    {
        // s3rver keeps aws-chunked framing as content; a 5 MiB+ body would come back larger.
        var store = await NewStoreAsync();
        var content = TestStreams.Bytes((5 << 20) + 3, 11);
        await UploadAsync(store, "exact.bin", content);
        var head = await _stores[^1].Store.Client.GetObjectMetadataAsync(_stores[^1].Bucket, "dest/prefix/exact.bin");
        Assert.Equal(content.Length, head.ContentLength);
    }

    [Fact]
    public async Task Listing_and_deleting_a_directory_of_more_than_1000_keys()
    {
        var store = await NewStoreAsync();
        const int count = 1003;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (i, ct) => await store.UploadAsync($"many/f{i:D5}", new MemoryStream([(byte)i]), ct));
        await UploadAsync(store, "many/sub/x", [1]);

        var listing = (await store.ListAsync("many", None))!;
        Assert.Equal(count + 1, listing.Count);
        Assert.Equal("f00000", listing[0].Name);
        Assert.Equal("f01002", listing[count - 1].Name);
        Assert.Equal(new ArtifactEntry("sub", true, null), listing[^1]);

        await store.DeleteAsync("many", None);
        Assert.Null(await store.ListAsync("many", None));
    }

    [Fact]
    public async Task Proxied_parts_larger_than_the_memory_limit_are_spooled_to_a_temp_file()
    {
        var bucket = await s3.CreateBucketAsync();
        var spool = Path.Join(Path.GetTempPath(), "strata-spool-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(spool);
        try
        {
            using var store = new S3ArtifactStore(s3.Options(bucket) with { PartSpoolMemoryLimit = 1 << 20, SpoolFolder = spool });
            var id = await store.CreateMultipartUploadAsync("spooled.bin", None);
            var part1 = new GeneratedStream(5 << 20, 1);
            var part2 = new GeneratedStream(3 << 20, 2);
            var e1 = await store.UploadPartAsync("spooled.bin", id, 1, part1, None);
            var e2 = await store.UploadPartAsync("spooled.bin", id, 2, part2, None);
            Assert.Empty(Directory.EnumerateFiles(spool)); // temp files are gone once the part is sent
            await store.CompleteMultipartUploadAsync("spooled.bin", id, [new(1, e1), new(2, e2)], None);

            var sink = new HashingSink();
            await store.DownloadAsync("spooled.bin", sink, null, None);
            Assert.Equal(8 << 20, sink.Written);
            var expected = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (var (length, seed) in new[] { (5 << 20, 1), (3 << 20, 2) })
            {
                expected.AppendData(Regenerate(length, seed));
            }

            Assert.Equal(expected.GetHashAndReset(), sink.Hash.GetHashAndReset());
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
        }
    }

    private static byte[] Regenerate(int length, int seed)
    {
        var bytes = new byte[length];
        var stream = new GeneratedStream(length, seed);
        var read = 0;
        while (read < length)
        {
            read += stream.Read(bytes, read, length - read);
        }

        return bytes;
    }

    [Fact]
    public void Options_from_uri_and_environment()
    {
        var env = new Dictionary<string, string?>
        {
            ["MLFLOW_S3_ENDPOINT_URL"] = "http://127.0.0.1:9000",
            ["AWS_ENDPOINT_URL"] = "http://ignored",
            ["AWS_DEFAULT_REGION"] = "eu-west-1",
            ["AWS_ACCESS_KEY_ID"] = "ak",
            ["AWS_SECRET_ACCESS_KEY"] = "sk",
        };
        var options = S3ArtifactStoreOptions.FromUri("s3://bucket/some/prefix/", k => env.GetValueOrDefault(k));
        Assert.Equal("bucket", options.Bucket);
        Assert.Equal("some/prefix", options.Prefix);
        Assert.Equal("http://127.0.0.1:9000", options.ServiceUrl);
        Assert.Equal("eu-west-1", options.Region);
        Assert.Equal("ak", options.AccessKeyId);

        env.Remove("MLFLOW_S3_ENDPOINT_URL");
        Assert.Equal("http://ignored", S3ArtifactStoreOptions.FromUri("s3://b", k => env.GetValueOrDefault(k)).ServiceUrl);
    }
}
