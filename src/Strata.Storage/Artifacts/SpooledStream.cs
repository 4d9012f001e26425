using System.Buffers;

namespace Strata.Storage.Artifacts;

/// <summary>
/// A seekable copy of a stream of unknown length (the SDK needs a length and a rewindable body to
/// sign a request): in a pooled buffer up to a limit, beyond it in a temporary file deleted on close.
/// </summary>
internal static class SpooledStream
{
    public static async Task<Stream> CreateAsync(Stream source, int memoryLimit, string? spoolFolder, CancellationToken ct)
    {
        if (source.CanSeek)
        {
            return new NonClosingStream(source);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(memoryLimit);
        var filled = 0;
        var bufferOwned = true;
        try
        {
            while (filled < memoryLimit)
            {
                var read = await source.ReadAsync(buffer.AsMemory(filled, memoryLimit - filled), ct);
                if (read == 0)
                {
                    bufferOwned = false;
                    return new PooledMemoryStream(buffer, filled);
                }

                filled += read;
            }

            var file = new FileStream(
                Path.Join(spoolFolder ?? Path.GetTempPath(), "strata-part-" + Guid.NewGuid().ToString("N")),
                FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 0,
                FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            try
            {
                await file.WriteAsync(buffer.AsMemory(0, filled), ct);
                await source.CopyToAsync(file, 1 << 20, ct);
                file.Position = 0;
                return file;
            }
            catch
            {
                await file.DisposeAsync();
                throw;
            }
        }
        finally
        {
            if (bufferOwned)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private sealed class PooledMemoryStream(byte[] buffer, int length) : MemoryStream(buffer, 0, length, writable: false)
    {
        private byte[]? _buffer = buffer;

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (Interlocked.Exchange(ref _buffer, null) is { } b)
            {
                ArrayPool<byte>.Shared.Return(b);
            }
        }
    }

    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
