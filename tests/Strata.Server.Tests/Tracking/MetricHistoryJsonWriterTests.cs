using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Strata.Core.Tracking;
using Strata.Server.Tracking;
using Strata.Server.Wire;

namespace Strata.Server.Tests.Tracking;

/// <summary>
/// The direct get-history writer against the reference: the same points written with <see cref="Utf8JsonWriter"/>
/// and <see cref="TrackingJson"/>, as the buffered response is. Every byte must match, numbers included.
/// </summary>
public sealed class MetricHistoryJsonWriterTests
{
    [Fact]
    public async Task Random_doubles_and_longs_are_formatted_as_Utf8JsonWriter_formats_them()
    {
        var random = new Random(17);
        var points = new List<MetricHistoryPoint> { new(-0.0, 0, 0, null, null, null) };
        for (var i = 0; i < 20_000; i++)
        {
            // Raw bit patterns cover subnormals, huge and tiny exponents, NaN payloads and both infinities.
            var value = (i % 4) switch
            {
                0 => BitConverter.Int64BitsToDouble(random.NextInt64(long.MinValue, long.MaxValue)),
                1 => random.NextDouble() * Math.Pow(10, random.Next(-30, 30)) * (random.Next(2) == 0 ? -1 : 1),
                2 => Math.Round(random.NextDouble() * 1000, random.Next(0, 4)),
                _ => random.Next(-1000, 1000),
            };
            points.Add(new MetricHistoryPoint(value, random.NextInt64(0, long.MaxValue), random.NextInt64(long.MinValue, long.MaxValue), null, null, null));
        }

        Assert.Equal(Reference("loss", points, "tok"), await DirectAsync("loss", points, "tok"));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(0.1)]
    [InlineData(1e-7)]
    [InlineData(1e21)]
    [InlineData(1e15)]
    [InlineData(123456789012345680000.0)]
    [InlineData(double.MaxValue)]
    [InlineData(double.MinValue)]
    [InlineData(double.Epsilon)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public async Task Edge_values_match(double value)
    {
        MetricHistoryPoint[] points = [new(value, 0, 0, null, null, null), new(value, long.MaxValue, long.MinValue, null, null, null)];
        var direct = await DirectAsync("m", points, null);
        Assert.Equal(Reference("m", points, null), direct);
        if (!double.IsFinite(value))
        {
            // MLflow's strings for the non-finite values.
            Assert.Contains(double.IsNaN(value) ? "\"value\":\"NaN\"" : value > 0 ? "\"value\":\"Infinity\"" : "\"value\":\"-Infinity\"", direct, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Keys_and_optional_fields_are_escaped_as_the_reference_escapes_them()
    {
        MetricHistoryPoint[] points =
        [
            new(1.5, 1, 2, "m-1", null, null),
            new(2.5, 3, 4, null, "train \"set\"", "d\\igest"),
            new(3.5, 5, 6, "mödel-é-\u2028-\u0001-<tag>&", "日本", "x"),
            new(4.5, 7, 8, "", null, ""),
        ];
        foreach (var key in new[] { "loss", "loss/val: top 1", "a.b-c_d" })
        {
            Assert.Equal(Reference(key, points, "eyJhIjoxfQ=="), await DirectAsync(key, points, "eyJhIjoxfQ=="));
            Assert.Equal(Reference(key, points, null), await DirectAsync(key, points, null));
        }
    }

    [Fact]
    public async Task Empty_pages_are_an_empty_object_or_the_token_alone()
    {
        Assert.Equal("{}", await DirectAsync("m", [], null));
        Assert.Equal("{}", await DirectAsync("m", [], ""));
        Assert.Equal("{\"next_page_token\":\"abc\"}", await DirectAsync("m", [], "abc"));
        Assert.Equal(Reference("m", [], "abc"), await DirectAsync("m", [], "abc"));
    }

    [Fact]
    public async Task Pages_far_larger_than_a_chunk_are_written_whole()
    {
        // ~6 MB: many 4 KB chunks and 32 KB flushes, with the commit points falling at every offset of a point.
        var points = Enumerable.Range(0, 100_000)
            .Select(i => new MetricHistoryPoint(i / 7.0, 1_700_000_000_000 + i, i, i % 997 == 0 ? "model-" + i : null, null, null))
            .ToList();
        var direct = await DirectAsync("loss", points, "t", flushEvery: 32 * 1024);
        Assert.Equal(Reference("loss", points, "t"), direct);
        using var doc = JsonDocument.Parse(direct);
        Assert.Equal(100_000, doc.RootElement.GetProperty("metrics").GetArrayLength());
    }

    private static async Task<string> DirectAsync(string key, IReadOnlyList<MetricHistoryPoint> points, string? token, int flushEvery = 1024)
    {
        var stream = new MemoryStream();
        var pipe = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 512));
        var writer = new MetricHistoryJsonWriter(pipe, key);
        foreach (var point in points)
        {
            writer.WritePoint(point);
            if (writer.Unflushed >= flushEvery)
            {
                writer.Commit();
                writer.MarkFlushed();
                await pipe.FlushAsync();
            }
        }

        writer.WriteEnd(token);
        await pipe.FlushAsync();
        await pipe.CompleteAsync();
        Assert.Equal(points.Count, writer.Count);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string Reference(string key, IReadOnlyList<MetricHistoryPoint> points, string? token)
    {
        var metrics = points.Select(p => new Metric(key, p.Value, p.Timestamp, p.Step, null, p.ModelId, p.DatasetName, p.DatasetDigest)).ToList();
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, WireResults.WriterOptions))
        {
            w.WriteStartObject();
            TrackingJson.WriteMetrics(w, "metrics"u8, metrics);
            TrackingJson.WriteNextPageToken(w, token);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
