using System.Buffers;
using System.Data.Common;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Dapper;
using Strata.Core.Monitoring;
using Strata.Storage.Database;
using Strata.Storage.Serving;

namespace Strata.Storage.Monitoring;

/// <summary>
/// Reads a window of the prediction log for drift: the segments of one model version whose time bounds overlap the
/// window (chosen from the segments' index), streamed one row at a time, and from each entry in the window that
/// succeeded (status 200) the request's inputs and the response's outputs into feature tables. Segments are parsed
/// on every core, each worker into its own tables, merged at the end (drift does not depend on row order). The
/// bodies are unescaped into pooled buffers and parsed from there; no entry becomes a record or a string.
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
                var workers = Math.Max(1, Environment.ProcessorCount);
                var segments = Channel.CreateBounded<(byte[] Buffer, int Length)>(workers * 2);
                var parts = Enumerable.Range(0, workers).Select(_ => (Inputs: new FeatureTable(), Outputs: new FeatureTable())).ToArray();
                var counts = new long[workers];
                var parsing = Enumerable.Range(0, workers).Select(w => Task.Run(
                    async () =>
                    {
                        var bodies = new BodyBuffers();
                        try
                        {
                            await foreach (var (buffer, length) in segments.Reader.ReadAllAsync(token).ConfigureAwait(false))
                            {
                                try
                                {
                                    counts[w] += ReadSegment(buffer.AsSpan(0, length), bodies, fromMs, toMs, parts[w].Inputs, parts[w].Outputs);
                                }
                                finally
                                {
                                    ArrayPool<byte>.Shared.Return(buffer);
                                }
                            }
                        }
                        catch (Exception e)
                        {
                            // Stop the reader too: with no one draining the channel its next write would wait forever.
                            segments.Writer.TryComplete(e);
                            throw;
                        }
                        finally
                        {
                            bodies.Return();
                        }
                    },
                    token)).ToArray();

                try
                {
                    await using var reader = await c.ExecuteReaderAsync(new CommandDefinition(
                        """
                        SELECT segment_id, format, entries FROM prediction_log_segments
                        WHERE model_name = @modelName AND model_version = @version AND max_timestamp_ms >= @fromMs AND min_timestamp_ms <= @toMs
                        ORDER BY segment_id
                        """,
                        new { modelName, version, fromMs, toMs },
                        cancellationToken: token)).ConfigureAwait(false);
                    while (await reader.ReadAsync(token).ConfigureAwait(false))
                    {
                        var segmentId = reader.GetInt64(0);
                        var format = reader.GetInt64(1);
                        if (format != PredictionLogSegment.Format)
                        {
                            throw new InvalidOperationException(
                                $"Prediction log segment {segmentId} is in format {format}; this server reads format {PredictionLogSegment.Format}.");
                        }

                        await segments.Writer.WriteAsync(LoadSegment(reader), token).ConfigureAwait(false);
                    }
                }
                finally
                {
                    segments.Writer.TryComplete();
                    await Task.WhenAll(parsing).ConfigureAwait(false);
                }

                foreach (var (partInputs, partOutputs) in parts)
                {
                    inputs.AddAll(partInputs);
                    outputs.AddAll(partOutputs);
                }

                return counts.Sum();
            },
            ct);
    }

    /// <summary>The current row's entries column (text on both dialects) as UTF-8 in a pooled buffer.</summary>
    private static (byte[] Buffer, int Length) LoadSegment(DbDataReader reader)
    {
        if (reader is Microsoft.Data.Sqlite.SqliteDataReader)
        {
            // SQLite hands over a TEXT value's UTF-8 bytes as they are stored: no UTF-16 string in between.
            var length = (int)reader.GetBytes(2, 0, null, 0, 0);
            var bytes = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
            return (bytes, (int)reader.GetBytes(2, 0, bytes, 0, length));
        }

        var text = reader.GetString(2);
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        return (buffer, Encoding.UTF8.GetBytes(text, buffer));
    }

    /// <summary>The entries of one segment (UTF-8 JSON) that fall in the window, added to the tables; returns how many.</summary>
    internal static long ReadSegment(ReadOnlySpan<byte> segment, BodyBuffers bodies, long fromMs, long toMs, FeatureTable inputs, FeatureTable outputs)
    {
        var json = new Utf8JsonReader(segment);
        long read = 0;
        Next(ref json);
        while (Next(ref json) == JsonTokenType.StartArray)
        {
            // [request_id, timestamp_ms, latency_us, status_code, protocol, inputs, outputs, error_message]
            Next(ref json);
            Next(ref json);
            var timestamp = json.GetInt64();
            Next(ref json);
            Next(ref json);
            var status = json.GetInt32();
            Next(ref json);
            var protocol = json.ValueTextEquals("v2"u8) ? ScoringPayloadReader.V2Protocol : "mlflow";
            var wanted = status == 200 && timestamp >= fromMs && timestamp <= toMs;
            Next(ref json);
            var inputLength = wanted ? bodies.CopyBody(ref json, 0) : 0;
            Next(ref json);
            var outputLength = wanted ? bodies.CopyBody(ref json, 1) : 0;
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
                ScoringPayloadReader.ReadInputs(protocol, bodies.Body(0, inputLength), inputs);
            }

            if (outputLength > 0)
            {
                ScoringPayloadReader.ReadOutputs(protocol, bodies.Body(1, outputLength), outputs);
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

    /// <summary>One parser's pooled buffers for the unescaped request and response bodies.</summary>
    internal sealed class BodyBuffers
    {
        private readonly byte[][] _bodies = [ArrayPool<byte>.Shared.Rent(64 * 1024), ArrayPool<byte>.Shared.Rent(64 * 1024)];

        public ReadOnlyMemory<byte> Body(int which, int length) => _bodies[which].AsMemory(0, length);

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
            ArrayPool<byte>.Shared.Return(_bodies[0]);
            ArrayPool<byte>.Shared.Return(_bodies[1]);
        }
    }
}
