using System.Buffers;
using System.Globalization;
using Strata.Core.Monitoring;
using Strata.Storage.Monitoring;
using Strata.Storage.Serving;

namespace Strata.Storage.Tests.Monitoring;

/// <summary>A segment cut into chunks of whole entries reads exactly as the whole segment does, whatever the chunk size.</summary>
public sealed class PredictionWindowSplitTests
{
    private static byte[] Segment(int entries)
    {
        var records = Enumerable.Range(0, entries).Select(i => new PredictionLogRecord(
            $"req-{i}", "m", "1", 1_000 + i, 10, i % 5 == 4 ? 500 : 200, "mlflow",
            // Bodies full of what could look like an entry boundary if strings were not escaped: ,[" and ],[
            "{\"dataframe_split\": {\"columns\": [\"x\", \"c\"], \"data\": [[" + (i * 0.5).ToString(CultureInfo.InvariantCulture) + ",\"a,[\\\"b\"],["
                + i.ToString(CultureInfo.InvariantCulture) + ",\"],[\"]]}}",
            "{\"predictions\": [" + (i % 3).ToString(CultureInfo.InvariantCulture) + ", 1]}",
            i % 5 == 4 ? "failed, [\"really\"]" : null)).ToList();
        var buffer = new ArrayBufferWriter<byte>();
        PredictionLogSegment.Write(buffer, records, 0, records.Count);
        return buffer.WrittenSpan.ToArray();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(500)]
    [InlineData(1 << 20)]
    public void Chunks_hold_whole_entries_and_read_like_the_whole_segment(int chunkBytes)
    {
        var segment = Segment(50);
        var (inputs, outputs) = (new FeatureTable(), new FeatureTable());
        var bodies = new PredictionWindowReader.BodyBuffers();
        long read = 0;
        try
        {
            var chunks = PredictionWindowReader.Split(segment, chunkBytes);
            Assert.True(chunkBytes > segment.Length ? chunks.Count == 1 : chunks.Count > 1);
            foreach (var (offset, length) in chunks)
            {
                read += PredictionWindowReader.ReadEntries(segment.AsSpan(offset, length), bodies, 1_000, 1_039, inputs, outputs);
            }
        }
        finally
        {
            bodies.Return();
        }

        // Entries 0..39 are in the window, every fifth failed: 32 read, two rows each.
        Assert.Equal(32, read);
        Assert.Equal(64, inputs.RowCount);
        Assert.Equal(64, outputs.RowCount);
        Assert.Equal(Enumerable.Range(0, 40).Where(i => i % 5 != 4).Sum(i => (i * 0.5) + i), inputs.Find("x")!.Numbers.ToArray().Sum());
        Assert.Equal((32L, 32L), (inputs.Find("c")!.Categories["a,[\"b"], inputs.Find("c")!.Categories["],["]));
    }
}
