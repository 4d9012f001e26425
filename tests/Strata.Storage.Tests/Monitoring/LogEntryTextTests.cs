using System.Buffers;
using System.Text;
using System.Text.Json;
using Strata.Storage.Monitoring;

namespace Strata.Storage.Tests.Monitoring;

/// <summary>The one-pass body unescaper gives exactly what <see cref="Utf8JsonReader"/> gives, or declines.</summary>
public sealed class LogEntryTextTests
{
    [Theory]
    [InlineData("")]
    [InlineData("plain")]
    [InlineData("{\"dataframe_split\": {\"columns\": [\"x\"], \"data\": [[1.5, \"a\"]]}}")]
    [InlineData("back\\slash and / slash")]
    [InlineData("line\nbreak\r\ttab\b\f")]
    [InlineData("control \u0001 \u001f")]
    [InlineData("non-ASCII é 漢字 and a pair 😀")]
    [InlineData("\"\"\\\\\"")]
    public void Unescapes_what_the_json_reader_unescapes(string value)
    {
        // Written both the way the log writes (relaxed: non-ASCII kept) and the strict way (everything non-ASCII as \u).
        foreach (var encoder in new[] { System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, System.Text.Encodings.Web.JavaScriptEncoder.Default })
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = encoder }))
            {
                writer.WriteStartArray();
                writer.WriteStringValue(value);
                writer.WriteNullValue();
                writer.WriteEndArray();
            }

            var text = buffer.WrittenSpan.ToArray();
            var bytes = ArrayPool<byte>.Shared.Rent(4);
            try
            {
                Assert.True(LogEntryText.TryReadString(text, 1, ref bytes, out var length, out var end));
                Assert.Equal(value, Encoding.UTF8.GetString(bytes, 0, length));
                Assert.Equal((byte)',', text[end]);
                Assert.True(LogEntryText.TryReadString(text, end + 1, ref bytes, out length, out end));
                Assert.Equal((0, (byte)']'), (length, text[end]));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }
    }

    [Theory]
    [InlineData("\"lone \\ud800 surrogate\"")]
    [InlineData("\"lone \\udc00 low\"")]
    [InlineData("\"bad \\x escape\"")]
    [InlineData("\"bad \\u12g4 hex\"")]
    [InlineData("\"never ends")]
    [InlineData("\"ends in an escape\\")]
    [InlineData("12")]
    [InlineData("nul")]
    public void Declines_what_the_log_does_not_write(string json)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(4);
        try
        {
            Assert.False(LogEntryText.TryReadString(Encoding.UTF8.GetBytes(json), 0, ref bytes, out _, out _));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }
}
