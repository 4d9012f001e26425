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

/// <summary>Entries read alike whichever way their bodies are escaped or spaced, and one the one-pass unescaper declines goes to the general reader.</summary>
public sealed class PredictionWindowFallbackTests
{
    [Fact]
    public void Escapes_spacing_and_odd_entries_read_as_the_general_reader_reads_them()
    {
        // The same body as the log writes it, then with spaces between the fields, a quote written as \u0022 and a
        // slash as \/, and last an entry whose inputs are not a string (the general reader takes it: no inputs, its
        // prediction counted, the row's inputs missing).
        const string Plain = "[\"r1\",1000,10,200,\"mlflow\",\"{\\\"dataframe_split\\\":{\\\"columns\\\":[\\\"x\\\",\\\"c\\\"],\\\"data\\\":[[1.5,\\\"a/\\ud83d\\ude00\\\"]]}}\",\"{\\\"predictions\\\":[2]}\",null]";
        const string Spaced = "[\"r2\", 1001, 10, 200, \"mlflow\" , \"{\\u0022dataframe_split\\\":{\\\"columns\\\":[\\\"x\\\",\\\"c\\\"],\\\"data\\\":[[1.5,\\\"a\\/😀\\\"]]}}\" , \"{\\\"predictions\\\":[2]}\" , \"failed\"]";
        const string Odd = "[\"r3\",1002,10,200,\"mlflow\",7,\"{\\\"predictions\\\":[3]}\",null]";
        var (inputs, outputs) = (new Strata.Core.Monitoring.FeatureTable(), new Strata.Core.Monitoring.FeatureTable());
        var bodies = new PredictionWindowReader.BodyBuffers();
        try
        {
            var entries = System.Text.Encoding.UTF8.GetBytes(Plain + "," + Spaced + "," + Odd);
            Assert.Equal(3, PredictionWindowReader.ReadEntries(entries, bodies, 0, long.MaxValue, inputs, outputs));
        }
        finally
        {
            bodies.Return();
        }

        Assert.Equal([1.5, 1.5], inputs.Find("x")!.Numbers.ToArray());
        Assert.Equal(1, inputs.Find("x")!.Missing);
        Assert.Equal(2, inputs.Find("c")!.Categories["a/😀"]);
        Assert.Equal(7, outputs.Columns[0].Numbers.ToArray().Sum());
        Assert.Equal(3, outputs.RowCount);
    }
}
