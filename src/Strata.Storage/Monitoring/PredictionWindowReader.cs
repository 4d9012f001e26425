using System.Buffers;
using System.Data.Common;
using System.Text;
using System.Text.Json;
using Dapper;
using Strata.Core.Monitoring;
using Strata.Storage.Database;
using Strata.Storage.Serving;

namespace Strata.Storage.Monitoring;

/// <summary>
/// Reads a window of the prediction log for drift: the segments of one model version whose time bounds overlap the
/// window (chosen from the segments' index), streamed one row at a time, and from each entry in the window that
/// succeeded (status 200) the request's inputs and the response's outputs into feature tables. The bodies are
/// unescaped into one pooled buffer and parsed from there; no entry becomes a record or a string.
/// </summary>
public sealed class PredictionWindowReader(IDatabase database) : IPredictionWindowSource
{
    public Task<long> ReadWindowAsync(string modelName, string version, long fromMs, long toMs, FeatureTable inputs, FeatureTable outputs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        return database.ReadAsync(
            async (c, token) =>
            {
                await using var reader = await c.ExecuteReaderAsync(new CommandDefinition(
                    """
                    SELECT segment_id, format, entries FROM prediction_log_segments
                    WHERE model_name = @modelName AND model_version = @version AND max_timestamp_ms >= @fromMs AND min_timestamp_ms <= @toMs
                    ORDER BY segment_id
                    """,
                    new { modelName, version, fromMs, toMs },
                    cancellationToken: token)).ConfigureAwait(false);
                var buffer = new ScratchBuffers();
                try
                {
                    long entries = 0;
                    while (await reader.ReadAsync(token).ConfigureAwait(false))
                    {
                        var segmentId = reader.GetInt64(0);
                        var format = reader.GetInt64(1);
                        if (format != PredictionLogSegment.Format)
                        {
                            throw new InvalidOperationException(
                                $"Prediction log segment {segmentId} is in format {format}; this server reads format {PredictionLogSegment.Format}.");
                        }

                        var length = buffer.LoadSegment(reader);
                        entries += ReadSegment(buffer, length, fromMs, toMs, inputs, outputs);
                    }

                    return entries;
                }
                finally
                {
                    buffer.Return();
                }
            },
            ct);
    }

    /// <summary>The entries of one segment (UTF-8 JSON in <see cref="ScratchBuffers.Segment"/>) that fall in the window.</summary>
    internal static long ReadSegment(ScratchBuffers buffers, int length, long fromMs, long toMs, FeatureTable inputs, FeatureTable outputs)
    {
        var json = new Utf8JsonReader(buffers.Segment.AsSpan(0, length));
        long read = 0;
        Next(ref json);
        while (Next(ref json) == JsonTokenType.StartArray)
        {
            Next(ref json);
            json.Skip();
            Next(ref json);
            var timestamp = json.GetInt64();
            Next(ref json);
            Next(ref json);
            var status = json.GetInt32();
            Next(ref json);
            var protocol = json.ValueTextEquals("v2"u8) ? ScoringPayloadReader.V2Protocol : "mlflow";
            var wanted = status == 200 && timestamp >= fromMs && timestamp <= toMs;
            Next(ref json);
            var inputLength = wanted ? buffers.CopyBody(ref json, 0) : 0;
            Next(ref json);
            var outputLength = wanted ? buffers.CopyBody(ref json, 1) : 0;
            Next(ref json);
            while (Next(ref json) != JsonTokenType.EndArray)
            {
                json.Skip();
            }

            if (!wanted)
            {
                continue;
            }

            read++;
            if (inputLength > 0)
            {
                ScoringPayloadReader.ReadInputs(protocol, buffers.Body(0, inputLength), inputs);
            }

            if (outputLength > 0)
            {
                ScoringPayloadReader.ReadOutputs(protocol, buffers.Body(1, outputLength), outputs);
            }

            // Keep the two tables row-aligned when one side could not be read.
            var rows = Math.Max(inputs.RowCount, outputs.RowCount);
            if (inputs.RowCount < rows)
            {
                inputs.EndRows(rows - inputs.RowCount);
            }

            if (outputs.RowCount < rows)
            {
                outputs.EndRows(rows - outputs.RowCount);
            }

        }

        return read;
    }

    private static JsonTokenType Next(ref Utf8JsonReader json) =>
        json.Read() ? json.TokenType : throw new JsonException("A prediction log segment ends early.");

    /// <summary>Pooled buffers: one for the segment's JSON, two for the unescaped request and response bodies.</summary>
    internal sealed class ScratchBuffers
    {
        private readonly byte[][] _bodies = [ArrayPool<byte>.Shared.Rent(64 * 1024), ArrayPool<byte>.Shared.Rent(64 * 1024)];

        public byte[] Segment { get; private set; } = ArrayPool<byte>.Shared.Rent(256 * 1024);

        public ReadOnlyMemory<byte> Body(int which, int length) => _bodies[which].AsMemory(0, length);

        /// <summary>Copies the current row's entries column (text on both dialects) into <see cref="Segment"/> as UTF-8.</summary>
        public int LoadSegment(DbDataReader reader)
        {
            if (reader is Microsoft.Data.Sqlite.SqliteDataReader)
            {
                // SQLite hands over a TEXT value's UTF-8 bytes as they are stored: no UTF-16 string in between.
                var length = (int)reader.GetBytes(2, 0, null, 0, 0);
                if (length > Segment.Length)
                {
                    ArrayPool<byte>.Shared.Return(Segment);
                    Segment = ArrayPool<byte>.Shared.Rent(length);
                }

                return (int)reader.GetBytes(2, 0, Segment, 0, length);
            }

            var text = reader.GetString(2);
            var needed = Encoding.UTF8.GetMaxByteCount(text.Length);
            if (needed > Segment.Length)
            {
                ArrayPool<byte>.Shared.Return(Segment);
                Segment = ArrayPool<byte>.Shared.Rent(needed);
            }

            return Encoding.UTF8.GetBytes(text, Segment);
        }

        /// <summary>The current string token, unescaped, into body buffer <paramref name="which"/>; 0 for null.</summary>
        public int CopyBody(ref Utf8JsonReader json, int which)
        {
            if (json.TokenType != JsonTokenType.String)
            {
                return 0;
            }

            var needed = json.HasValueSequence ? (int)json.ValueSequence.Length : json.ValueSpan.Length;
            if (needed > _bodies[which].Length)
            {
                ArrayPool<byte>.Shared.Return(_bodies[which]);
                _bodies[which] = ArrayPool<byte>.Shared.Rent(needed);
            }

            return json.CopyString(_bodies[which]);
        }

        public void Return()
        {
            ArrayPool<byte>.Shared.Return(Segment);
            ArrayPool<byte>.Shared.Return(_bodies[0]);
            ArrayPool<byte>.Shared.Return(_bodies[1]);
        }
    }
}
