using Strata.Core.Artifacts;
using Strata.Core.Errors;

namespace Strata.Tests.Artifacts;

/// <summary>Behaviour every <see cref="IArtifactStore"/> must show; run against each implementation.</summary>
public abstract class ArtifactStoreContractTests
{
    protected static readonly CancellationToken None = CancellationToken.None;

    protected abstract Task<IArtifactStore> NewStoreAsync();

    /// <summary>
    /// Uploads in flight that the implementation still keeps (temporary files, unfinished multipart
    /// uploads), for the check that none survive a failure; null where the backend cannot tell.
    /// </summary>
    protected abstract Task<int?> CountUnfinishedUploadsAsync(IArtifactStore store);

    /// <summary>False for test backends that accept an abort without doing it (s3rver).</summary>
    protected virtual bool BackendAbortsUploads => true;

    protected async Task AssertNoUnfinishedUploadsAsync(IArtifactStore store)
    {
        var count = await CountUnfinishedUploadsAsync(store);
        if (count is not null)
        {
            Assert.Equal(0, count);
        }
    }

    protected static async Task<byte[]> ReadAllAsync(IArtifactStore store, string path, ByteRange? range = null)
    {
        using var buffer = new MemoryStream();
        await store.DownloadAsync(path, buffer, range, None);
        return buffer.ToArray();
    }

    protected static Task UploadAsync(IArtifactStore store, string path, byte[] content) =>
        store.UploadAsync(path, new MemoryStream(content), None);

    [Theory]
    [InlineData("f.txt", 5)]
    [InlineData("empty.bin", 0)]
    [InlineData("0/run/artifacts/model/MLmodel", 300)]
    [InlineData("данные/モデル ü.json", 17)]
    public async Task Round_trip_keeps_bytes_and_name(string path, int length)
    {
        var store = await NewStoreAsync();
        var content = TestStreams.Bytes(length, length);
        await UploadAsync(store, path, content);

        Assert.Equal(content, await ReadAllAsync(store, path));
        var stat = await store.StatAsync(path, None);
        Assert.Equal(new ArtifactStat(false, length), stat);
        var listing = await store.ListAsync(ArtifactPath.Parent(path), None);
        Assert.Contains(new ArtifactEntry(ArtifactPath.BaseName(path), false, length), listing!);
    }

    [Fact]
    public async Task Binary_content_with_every_byte_value_round_trips()
    {
        var store = await NewStoreAsync();
        var content = TestStreams.AllByteValues();
        await UploadAsync(store, "bin/all.bytes", content);
        Assert.Equal(content, await ReadAllAsync(store, "bin/all.bytes"));
    }

    [Fact]
    public async Task Large_non_seekable_upload_round_trips_with_same_checksum()
    {
        var store = await NewStoreAsync();
        const long length = (20 << 20) + 12345; // several S3 parts and a short last part
        var source = new GeneratedStream(length, seed: 7);
        await store.UploadAsync("big/blob.bin", source, None);

        var sink = new HashingSink();
        await store.DownloadAsync("big/blob.bin", sink, null, None);
        Assert.Equal(length, sink.Written);
        Assert.Equal(source.Hash.GetHashAndReset(), sink.Hash.GetHashAndReset());
        Assert.Equal(length, (await store.StatAsync("big/blob.bin", None))!.Length);
    }

    [Fact]
    public async Task Upload_of_exactly_one_part_size_round_trips()
    {
        var store = await NewStoreAsync();
        var content = TestStreams.Bytes(8 << 20, 3);
        await UploadAsync(store, "edge/exact.bin", content);
        Assert.Equal(content, await ReadAllAsync(store, "edge/exact.bin"));
    }

    [Fact]
    public async Task Upload_overwrites_an_existing_file()
    {
        var store = await NewStoreAsync();
        await UploadAsync(store, "a/f", [1, 2, 3, 4]);
        await UploadAsync(store, "a/f", [9]);
        Assert.Equal([9], await ReadAllAsync(store, "a/f"));
    }

    [Fact]
    public async Task Range_download_returns_exactly_the_range()
    {
        var store = await NewStoreAsync();
        var content = TestStreams.Bytes(1000, 1);
        await UploadAsync(store, "r.bin", content);

        Assert.Equal(content[10..20], await ReadAllAsync(store, "r.bin", new ByteRange(10, 10)));
        Assert.Equal(content[999..], await ReadAllAsync(store, "r.bin", new ByteRange(999, 1)));
        Assert.Equal(content, await ReadAllAsync(store, "r.bin", new ByteRange(0, 1000)));
    }

    [Fact]
    public async Task Download_of_missing_file_is_resource_does_not_exist()
    {
        var store = await NewStoreAsync();
        var e = await Assert.ThrowsAsync<MlflowException>(() => ReadAllAsync(store, "nope/none.txt"));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, e.Code);
    }

    [Fact]
    public async Task Listing_is_sorted_base_names_with_sizes_and_directories()
    {
        var store = await NewStoreAsync();
        await UploadAsync(store, "d/b.txt", [1, 2]);
        await UploadAsync(store, "d/a.txt", [1]);
        await UploadAsync(store, "d/zero", []);
        await UploadAsync(store, "d/sub/deep/x", [1, 2, 3]);
        await UploadAsync(store, "d/sub/y", [1]); // s3rver only reports prefixes that hold an object directly
        await UploadAsync(store, "other/y", [1]);

        var listing = await store.ListAsync("d", None);
        Assert.Equal(
            [new("a.txt", false, 1), new("b.txt", false, 2), new("sub", true, null), new("zero", false, 0)],
            listing!);
        Assert.Equal([new("deep", true, null), new("y", false, 1)], (await store.ListAsync("d/sub", None))!);
        var root = await store.ListAsync("", None);
        Assert.Equal(["d", "other"], root!.Select(e => e.Name));
    }

    [Fact]
    public async Task Listing_a_missing_path_or_a_file_gives_null()
    {
        var store = await NewStoreAsync();
        await UploadAsync(store, "d/f.txt", [1]);
        Assert.Null(await store.ListAsync("missing", None));
        Assert.Null(await store.ListAsync("d/f.txt", None));
        Assert.Null(await store.StatAsync("missing", None));
        Assert.Equal(new ArtifactStat(true, 0), await store.StatAsync("d", None));
    }

    [Fact]
    public async Task Delete_removes_a_file_or_a_directory_recursively()
    {
        var store = await NewStoreAsync();
        await UploadAsync(store, "x/keep.txt", [1]);
        await UploadAsync(store, "x/gone.txt", [1]);
        await UploadAsync(store, "x/dir/a", [1]);
        await UploadAsync(store, "x/dir/sub/b", [1]);
        await UploadAsync(store, "x/dirsibling", [1]);

        await store.DeleteAsync("x/gone.txt", None);
        await store.DeleteAsync("x/dir", None);
        await store.DeleteAsync("x/never-existed", None);

        Assert.Equal(["dirsibling", "keep.txt"], (await store.ListAsync("x", None))!.Select(e => e.Name));
        Assert.Null(await store.StatAsync("x/dir/sub/b", None));
    }

    [Fact]
    public async Task Failed_upload_leaves_nothing_visible_and_keeps_the_old_file()
    {
        var store = await NewStoreAsync();
        await UploadAsync(store, "keep/old.bin", [1, 2, 3]);

        await Assert.ThrowsAsync<IOException>(() => store.UploadAsync("keep/old.bin", new GeneratedStream(30 << 20, 1, failAfter: 20 << 20), None));
        await Assert.ThrowsAsync<IOException>(() => store.UploadAsync("keep/new.bin", new GeneratedStream(30 << 20, 1, failAfter: 1 << 20), None));
        await Assert.ThrowsAsync<IOException>(() => store.UploadAsync("fresh/new.bin", new GeneratedStream(1000, 1, failAfter: 10), None));

        Assert.Equal([1, 2, 3], await ReadAllAsync(store, "keep/old.bin"));
        Assert.Equal(["old.bin"], (await store.ListAsync("keep", None))!.Select(e => e.Name));
        Assert.Null(await store.StatAsync("fresh/new.bin", None));
        await AssertNoUnfinishedUploadsAsync(store);
    }

    [Fact]
    public async Task Cancelled_upload_leaves_nothing_visible()
    {
        var store = await NewStoreAsync();
        using var cts = new CancellationTokenSource();
        var stream = new CancellingStream(new GeneratedStream(30 << 20, 2), cts, cancelAfter: 12 << 20);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.UploadAsync("c/x.bin", stream, cts.Token));
        Assert.Null(await store.StatAsync("c/x.bin", None));
        await AssertNoUnfinishedUploadsAsync(store);
    }

    [Fact]
    public async Task Multipart_upload_joins_parts_in_order()
    {
        var store = await NewStoreAsync();
        Assert.True(store.SupportsMultipart);
        var part1 = TestStreams.Bytes(5 << 20, 1);
        var part2 = TestStreams.Bytes(5 << 20, 2);
        var part3 = TestStreams.Bytes(1234, 3);

        var id = await store.CreateMultipartUploadAsync("mp/file.bin", None);
        var e2 = await store.UploadPartAsync("mp/file.bin", id, 2, new MemoryStream(part2), None);
        var e1 = await store.UploadPartAsync("mp/file.bin", id, 1, new MemoryStream(part1), None);
        var e3 = await store.UploadPartAsync("mp/file.bin", id, 3, new GeneratedStreamOf(part3), None);
        Assert.Null(await store.StatAsync("mp/file.bin", None));

        await store.CompleteMultipartUploadAsync("mp/file.bin", id, [new(1, e1), new(2, e2), new(3, e3)], None);

        byte[] expected = [.. part1, .. part2, .. part3];
        Assert.Equal(expected, await ReadAllAsync(store, "mp/file.bin"));
        await AssertNoUnfinishedUploadsAsync(store);
    }

    [Fact]
    public async Task Multipart_abort_discards_the_upload()
    {
        var store = await NewStoreAsync();
        var id = await store.CreateMultipartUploadAsync("mp/aborted.bin", None);
        await store.UploadPartAsync("mp/aborted.bin", id, 1, new MemoryStream([1, 2, 3]), None);
        await store.AbortMultipartUploadAsync("mp/aborted.bin", id, None);

        Assert.Null(await store.StatAsync("mp/aborted.bin", None));
        await AssertNoUnfinishedUploadsAsync(store);
        if (BackendAbortsUploads)
        {
            await Assert.ThrowsAsync<MlflowException>(() => store.CompleteMultipartUploadAsync("mp/aborted.bin", id, [new(1, "x")], None));
        }
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a/../../x")]
    [InlineData("/etc/passwd")]
    [InlineData("a\\b")]
    [InlineData("%2e%2e/x")]
    public async Task Unsafe_paths_are_rejected_by_every_operation(string path)
    {
        var store = await NewStoreAsync();
        await AssertInvalid(() => UploadAsync(store, path, [1]));
        await AssertInvalid(() => ReadAllAsync(store, path));
        await AssertInvalid(() => store.ListAsync(path, None));
        await AssertInvalid(() => store.DeleteAsync(path, None));
        await AssertInvalid(() => store.StatAsync(path, None));
        await AssertInvalid(() => store.CreateMultipartUploadAsync(path, None));
    }

    protected static async Task AssertInvalid(Func<Task> action)
    {
        var e = await Assert.ThrowsAsync<MlflowException>(action);
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, e.Code);
        Assert.Equal("Invalid path", e.Message);
    }

    /// <summary>A seekable-less wrapper, so the store cannot take the seekable shortcut.</summary>
    private sealed class GeneratedStreamOf(byte[] content) : Stream
    {
        private readonly MemoryStream _inner = new(content);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Cancels the token once this many bytes have been read, like a client that goes away.</summary>
    private sealed class CancellingStream(Stream inner, CancellationTokenSource cts, long cancelAfter) : Stream
    {
        private long _read;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_read >= cancelAfter)
            {
                await cts.CancelAsync();
            }

            cancellationToken.ThrowIfCancellationRequested();
            var n = await inner.ReadAsync(buffer, cancellationToken);
            _read += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
