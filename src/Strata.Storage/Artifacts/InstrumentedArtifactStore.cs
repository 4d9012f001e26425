using System.Diagnostics;
using System.Diagnostics.Metrics;
using Strata.Core.Artifacts;

namespace Strata.Storage.Artifacts;

/// <summary>
/// Wraps a store with a span per call (<see cref="ActivitySourceName"/>) and metrics: bytes moved
/// each way and call durations by operation, for the <c>/metrics</c> and OTLP exporters.
/// </summary>
public sealed class InstrumentedArtifactStore : IArtifactStore, IDisposable
{
    public const string ActivitySourceName = "Strata.Artifacts";
    public const string MeterName = "Strata.Artifacts";

    private static readonly ActivitySource Activities = new(ActivitySourceName);

    private readonly Counter<long> _uploaded;
    private readonly Counter<long> _downloaded;
    private readonly Histogram<double> _duration;

    public InstrumentedArtifactStore(IArtifactStore inner, IMeterFactory meters)
    {
        Inner = inner;
        var meter = meters.Create(MeterName);
        _uploaded = meter.CreateCounter<long>("strata.artifacts.uploaded", "By", "Bytes received into artifact storage");
        _downloaded = meter.CreateCounter<long>("strata.artifacts.downloaded", "By", "Bytes served from artifact storage");
        _duration = meter.CreateHistogram<double>("strata.artifacts.operation.duration", "s", "Duration of artifact store calls");
    }

    /// <summary>The store doing the work.</summary>
    public IArtifactStore Inner { get; }

    public string Location => Inner.Location;

    /// <summary>The store it wraps, or the store itself when it is not wrapped.</summary>
    public static IArtifactStore Unwrap(IArtifactStore store) => store is InstrumentedArtifactStore wrapper ? wrapper.Inner : store;

    public void Dispose() => (Inner as IDisposable)?.Dispose();

    public bool SupportsMultipart => Inner.SupportsMultipart;

    public Task UploadAsync(string path, Stream content, CancellationToken ct) =>
        TimeAsync("upload", path, async () =>
        {
            var counting = new CountingReadStream(content);
            try
            {
                await Inner.UploadAsync(path, counting, ct);
            }
            finally
            {
                _uploaded.Add(counting.Count);
            }
        });

    public Task DownloadAsync(string path, Stream destination, ByteRange? range, CancellationToken ct) =>
        TimeAsync("download", path, async () =>
        {
            var counting = new CountingWriteStream(destination);
            try
            {
                await Inner.DownloadAsync(path, counting, range, ct);
            }
            finally
            {
                _downloaded.Add(counting.Count);
            }
        });

    public Task<ArtifactStat?> StatAsync(string path, CancellationToken ct) => TimeAsync("stat", path, () => Inner.StatAsync(path, ct));

    public Task<IReadOnlyList<ArtifactEntry>?> ListAsync(string directory, CancellationToken ct) => TimeAsync("list", directory, () => Inner.ListAsync(directory, ct));

    public Task DeleteAsync(string path, CancellationToken ct) => TimeAsync("delete", path, () => Inner.DeleteAsync(path, ct));

    public Task<string> CreateMultipartUploadAsync(string path, CancellationToken ct) =>
        TimeAsync("mpu_create", path, () => Inner.CreateMultipartUploadAsync(path, ct));

    public Task<string> UploadPartAsync(string path, string uploadId, int partNumber, Stream content, CancellationToken ct) =>
        TimeAsync("mpu_part", path, async () =>
        {
            var counting = new CountingReadStream(content);
            try
            {
                return await Inner.UploadPartAsync(path, uploadId, partNumber, counting, ct);
            }
            finally
            {
                _uploaded.Add(counting.Count);
            }
        });

    public Task CompleteMultipartUploadAsync(string path, string uploadId, IReadOnlyList<UploadedPart> parts, CancellationToken ct) =>
        TimeAsync("mpu_complete", path, () => Inner.CompleteMultipartUploadAsync(path, uploadId, parts, ct));

    public Task AbortMultipartUploadAsync(string path, string uploadId, CancellationToken ct) =>
        TimeAsync("mpu_abort", path, () => Inner.AbortMultipartUploadAsync(path, uploadId, ct));

    private async Task TimeAsync(string operation, string path, Func<Task> work) =>
        await TimeAsync(operation, path, async () =>
        {
            await work();
            return true;
        });

    private async Task<T> TimeAsync<T>(string operation, string path, Func<Task<T>> work)
    {
        using var activity = Activities.StartActivity("artifacts." + operation);
        activity?.SetTag("strata.artifact.path", path);
        var started = Stopwatch.GetTimestamp();
        var outcome = "ok";
        try
        {
            return await work();
        }
        catch (Exception e)
        {
            outcome = "error";
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
        finally
        {
            _duration.Record(
                Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>("operation", operation),
                new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    private sealed class CountingReadStream(Stream inner) : Stream
    {
        public long Count { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Count; set => throw new NotSupportedException(); }
        public override void Flush() { }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            Count += n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            Count += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class CountingWriteStream(Stream inner) : Stream
    {
        public long Count { get; private set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Count; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            Count += count;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            Count += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
