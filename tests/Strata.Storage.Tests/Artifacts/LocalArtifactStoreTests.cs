using Strata.Core.Artifacts;
using Strata.Core.Errors;
using Strata.Storage.Artifacts;

namespace Strata.Tests.Artifacts;

public sealed class LocalArtifactStoreTests : ArtifactStoreContractTests, IDisposable
{
    private readonly string _base = Path.Join(Path.GetTempPath(), "strata-local-" + Guid.NewGuid().ToString("N"));

    private string Root => Path.Join(_base, "root");

    private string Outside => Path.Join(_base, "outside");

    public LocalArtifactStoreTests()
    {
        Directory.CreateDirectory(Outside);
        File.WriteAllText(Path.Join(Outside, "secret.txt"), "secret");
    }

    public void Dispose() => Directory.Delete(_base, recursive: true);

    protected override Task<IArtifactStore> NewStoreAsync() =>
        Task.FromResult<IArtifactStore>(new LocalArtifactStore(new LocalArtifactStoreOptions { Root = Root, SyncOnWrite = false }));

    protected override Task<int?> CountUnfinishedUploadsAsync(IArtifactStore store)
    {
        var temp = Path.Join(Root, LocalArtifactStore.TempFolderName);
        return Task.FromResult<int?>(Directory.Exists(temp) ? Directory.EnumerateFiles(temp, "*", SearchOption.AllDirectories).Count() : 0);
    }

    [Fact]
    public async Task Temp_folder_is_never_listed_nor_addressable()
    {
        var store = await NewStoreAsync();
        await UploadAsync(store, "a.txt", [1]);
        Directory.CreateDirectory(Path.Join(Root, ".tmp"));
        File.WriteAllText(Path.Join(Root, ".tmp", "half"), "x");

        Assert.Equal(["a.txt"], (await store.ListAsync("", None))!.Select(e => e.Name));
        await AssertInvalid(() => ReadAllAsync(store, ".tmp/half"));
        await AssertInvalid(() => store.ListAsync(".tmp", None));
        await AssertInvalid(() => store.DeleteAsync(".tmp", None));
        await AssertInvalid(() => UploadAsync(store, ".tmp/x", [1]));
        Assert.True(File.Exists(Path.Join(Root, ".tmp", "half")));
    }

    [Fact]
    public async Task Symlink_leading_outside_the_root_is_refused_and_not_listed()
    {
        var store = await NewStoreAsync();
        await UploadAsync(store, "exp/ok.txt", [1]);
        Directory.CreateSymbolicLink(Path.Join(Root, "exp", "escape"), Outside);
        File.CreateSymbolicLink(Path.Join(Root, "exp", "secret-link"), Path.Join(Outside, "secret.txt"));

        await AssertInvalid(() => ReadAllAsync(store, "exp/escape/secret.txt"));
        await AssertInvalid(() => ReadAllAsync(store, "exp/secret-link"));
        await AssertInvalid(() => UploadAsync(store, "exp/escape/planted.txt", [1]));
        await AssertInvalid(() => UploadAsync(store, "exp/secret-link", [1]));
        await AssertInvalid(() => store.ListAsync("exp/escape", None));
        await AssertInvalid(() => store.DeleteAsync("exp/escape/secret.txt", None));
        Assert.Equal(["ok.txt"], (await store.ListAsync("exp", None))!.Select(e => e.Name));

        Assert.False(File.Exists(Path.Join(Outside, "planted.txt")));
        Assert.Equal("secret", File.ReadAllText(Path.Join(Outside, "secret.txt")));
    }

    [Fact]
    public async Task Chained_and_relative_symlinks_are_followed_before_the_check()
    {
        var store = await NewStoreAsync();
        await UploadAsync(store, "in/real/f.txt", [5]);
        Directory.CreateSymbolicLink(Path.Join(Root, "in", "alias"), "real"); // stays inside: allowed
        Directory.CreateSymbolicLink(Path.Join(Root, "in", "hop1"), "../in/../../outside"); // relative escape
        Directory.CreateSymbolicLink(Path.Join(Root, "in", "hop2"), Path.Join(Root, "in", "hop1")); // chain to the escape

        Assert.Equal([5], await ReadAllAsync(store, "in/alias/f.txt"));
        await AssertInvalid(() => ReadAllAsync(store, "in/hop1/secret.txt"));
        await AssertInvalid(() => ReadAllAsync(store, "in/hop2/secret.txt"));
        Assert.Equal(["alias", "real"], (await store.ListAsync("in", None))!.Select(e => e.Name));
    }

    [Fact]
    public async Task Deleting_a_symlink_inside_the_root_removes_the_link_not_its_target()
    {
        var store = await NewStoreAsync();
        await UploadAsync(store, "t/real/f.txt", [5]);
        Directory.CreateSymbolicLink(Path.Join(Root, "t", "alias"), "real");
        await store.DeleteAsync("t/alias", None);
        Assert.Equal([5], await ReadAllAsync(store, "t/real/f.txt"));
        Assert.Equal(["real"], (await store.ListAsync("t", None))!.Select(e => e.Name));
    }

    [Fact]
    public async Task Root_that_is_itself_a_symlink_works()
    {
        var realRoot = Path.Join(_base, "real-root");
        Directory.CreateDirectory(realRoot);
        var linkRoot = Path.Join(_base, "link-root");
        Directory.CreateSymbolicLink(linkRoot, realRoot);
        var store = new LocalArtifactStore(new LocalArtifactStoreOptions { Root = linkRoot, SyncOnWrite = false });
        await UploadAsync(store, "a/b.txt", [1, 2]);
        Assert.Equal([1, 2], await ReadAllAsync(store, "a/b.txt"));
        Assert.True(File.Exists(Path.Join(realRoot, "a", "b.txt")));
    }

    [Fact]
    public async Task File_in_the_way_of_a_directory_is_a_client_error()
    {
        var store = await NewStoreAsync();
        await UploadAsync(store, "f", [1]);
        var e = await Assert.ThrowsAsync<Strata.Core.Errors.MlflowException>(() => UploadAsync(store, "f/child", [1]));
        Assert.Equal(Strata.Core.Errors.ErrorCode.INVALID_PARAMETER_VALUE, e.Code);
        await UploadAsync(store, "d/child", [1]);
        e = await Assert.ThrowsAsync<Strata.Core.Errors.MlflowException>(() => UploadAsync(store, "d", [1]));
        Assert.Equal(Strata.Core.Errors.ErrorCode.INVALID_PARAMETER_VALUE, e.Code);
        await AssertNoUnfinishedUploadsAsync(store);
    }

    [Fact]
    public async Task Stale_temporary_files_are_swept()
    {
        var store = new LocalArtifactStore(new LocalArtifactStoreOptions { Root = Root, SyncOnWrite = false });
        Directory.CreateDirectory(Path.Join(Root, ".tmp"));
        var stale = Path.Join(Root, ".tmp", "old");
        File.WriteAllText(stale, "x");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddDays(-2));
        var fresh = Path.Join(Root, ".tmp", "new");
        File.WriteAllText(fresh, "x");

        Assert.Equal(1, store.SweepStaleTemporaryFiles(TimeSpan.FromDays(1)));
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh));
    }

    // s3rver does not check part ETags, so this is checked on the local store only.
    [Fact]
    public async Task Multipart_complete_with_a_wrong_etag_is_rejected()
    {
        var store = await NewStoreAsync();
        var id = await store.CreateMultipartUploadAsync("mp/bad.bin", None);
        await store.UploadPartAsync("mp/bad.bin", id, 1, new MemoryStream([1, 2, 3]), None);

        var e = await Assert.ThrowsAsync<MlflowException>(() => store.CompleteMultipartUploadAsync("mp/bad.bin", id, [new(1, "0123456789abcdef0123456789abcdef")], None));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, e.Code);
        Assert.Null(await store.StatAsync("mp/bad.bin", None));
        await store.AbortMultipartUploadAsync("mp/bad.bin", id, None);
    }

    [Fact]
    public async Task Upload_recreates_the_work_area_when_it_was_removed()
    {
        var store = await NewStoreAsync();
        await UploadAsync(store, "a/one.bin", [1]);
        Directory.Delete(Path.Join(Root, LocalArtifactStore.TempFolderName), recursive: true);

        await UploadAsync(store, "a/two.bin", [2, 2]);

        Assert.Equal([2, 2], await ReadAllAsync(store, "a/two.bin"));
        Assert.Equal(0, await CountUnfinishedUploadsAsync(store));
    }

    [Fact]
    public async Task Concurrent_first_uploads_all_create_the_work_area_and_land()
    {
        // Many first uploads race to create the work area; one that loses sees the folder appear between its open
        // failing and .NET asking why (a FileNotFoundException then), which must not fail the upload.
        for (var round = 0; round < 20; round++)
        {
            var store = await NewStoreAsync();
            var temp = Path.Join(Root, LocalArtifactStore.TempFolderName);
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }

            await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Task.Run(() => UploadAsync(store, $"r{round}/f{i}.bin", [(byte)i]))));

            for (var i = 0; i < 32; i++)
            {
                Assert.Equal([(byte)i], await ReadAllAsync(store, $"r{round}/f{i}.bin"));
            }
        }
    }

    [Fact]
    public async Task Upload_larger_than_the_copy_buffer_arrives_whole()
    {
        var store = new LocalArtifactStore(new LocalArtifactStoreOptions { Root = Root, SyncOnWrite = true, BufferSize = 4096 });
        var data = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();

        await UploadAsync(store, "big/data.bin", data);

        Assert.Equal(data, await ReadAllAsync(store, "big/data.bin"));
    }

    [Fact]
    public async Task Synced_writes_round_trip()
    {
        var store = new LocalArtifactStore(new LocalArtifactStoreOptions { Root = Root, SyncOnWrite = true });
        await UploadAsync(store, "s/y.bin", [1, 2, 3]);
        Assert.Equal([1, 2, 3], await ReadAllAsync(store, "s/y.bin"));
    }
}

public sealed class PipeUploadTests : IDisposable
{
    private readonly string _root = Path.Join(Path.GetTempPath(), "strata-pipe-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task Upload_from_a_pipe_reader_streams_into_the_store()
    {
        var store = new LocalArtifactStore(new LocalArtifactStoreOptions { Root = _root, SyncOnWrite = false });
        var pipe = new System.IO.Pipelines.Pipe();
        var content = TestStreams.Bytes(3 << 20, 4);
        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < content.Length; i += 64 * 1024)
            {
                await pipe.Writer.WriteAsync(content.AsMemory(i, Math.Min(64 * 1024, content.Length - i)));
            }

            await pipe.Writer.CompleteAsync();
        });

        await store.UploadAsync("p/piped.bin", pipe.Reader, CancellationToken.None);
        await writer;

        using var read = new MemoryStream();
        await store.DownloadAsync("p/piped.bin", read, null, CancellationToken.None);
        Assert.Equal(content, read.ToArray());
    }
}
