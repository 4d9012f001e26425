using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Strata.Storage.Monitoring;

/// <summary>
/// Finds and unescapes a logged body (a JSON string inside a segment entry) in one pass. The bodies are JSON text
/// themselves, so their quotes are escaped all along (<c>\"a\"</c>): <see cref="Utf8JsonReader"/> then validates the
/// rest of such a string a byte at a time before <see cref="Utf8JsonReader.CopyString(Span{byte})"/> unescapes it in a
/// second pass. Here a vectorized search jumps from one quote or backslash to the next and copies the runs between them.
/// Only what <see cref="Serving.PredictionLogSegment"/> writes is taken; anything else (a lone surrogate escape, say)
/// answers false and the entry goes to the general reader.
/// </summary>
internal static class LogEntryText
{
    /// <summary>
    /// The string value starting at <paramref name="text"/>[<paramref name="start"/>] (after any whitespace), or
    /// <c>null</c>, unescaped into <paramref name="buffer"/> (grown from the pool when short). <paramref name="length"/>
    /// is the unescaped length, 0 for null; <paramref name="end"/> the index just after the value.
    /// </summary>
    public static bool TryReadString(ReadOnlySpan<byte> text, int start, ref byte[] buffer, out int length, out int end)
    {
        length = 0;
        end = start;
        var i = SkipWhitespace(text, start);
        if (i >= text.Length)
        {
            return false;
        }

        if (text[i] == (byte)'n')
        {
            end = i + 4;
            return text[i..].StartsWith("null"u8);
        }

        if (text[i] != (byte)'"')
        {
            return false;
        }

        i++;
        var written = 0;
        while (true)
        {
            var run = text[i..].IndexOfAny((byte)'"', (byte)'\\');
            if (run < 0)
            {
                return false;
            }

            // An escape writes at most 4 bytes (a surrogate pair), and never more than it reads.
            Ensure(ref buffer, written, run + 4);
            text.Slice(i, run).CopyTo(buffer.AsSpan(written));
            written += run;
            i += run;
            if (text[i] == (byte)'"')
            {
                length = written;
                end = i + 1;
                return true;
            }

            if (i + 1 >= text.Length)
            {
                return false;
            }

            var escaped = text[i + 1];
            byte plain;
            switch (escaped)
            {
                case (byte)'"' or (byte)'\\' or (byte)'/':
                    plain = escaped;
                    break;
                case (byte)'n':
                    plain = (byte)'\n';
                    break;
                case (byte)'r':
                    plain = (byte)'\r';
                    break;
                case (byte)'t':
                    plain = (byte)'\t';
                    break;
                case (byte)'b':
                    plain = (byte)'\b';
                    break;
                case (byte)'f':
                    plain = (byte)'\f';
                    break;
                case (byte)'u':
                    if (!TryUnicodeEscape(text, ref i, buffer, ref written))
                    {
                        return false;
                    }

                    continue;
                default:
                    return false;
            }

            buffer[written++] = plain;
            i += 2;
        }
    }

    /// <summary>The index of the next byte that is not JSON whitespace.</summary>
    public static int SkipWhitespace(ReadOnlySpan<byte> text, int i)
    {
        while (i < text.Length && text[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            i++;
        }

        return i;
    }

    /// <summary><c>\uXXXX</c> at <paramref name="i"/> (a pair of them for a surrogate pair) as UTF-8; false for a lone surrogate or bad hex.</summary>
    private static bool TryUnicodeEscape(ReadOnlySpan<byte> text, ref int i, byte[] buffer, ref int written)
    {
        if (!TryHex(text, i + 2, out var unit))
        {
            return false;
        }

        var consumed = 6;
        int scalar = unit;
        if (char.IsHighSurrogate((char)unit))
        {
            if (i + 11 >= text.Length || text[i + 6] != (byte)'\\' || text[i + 7] != (byte)'u'
                || !TryHex(text, i + 8, out var low) || !char.IsLowSurrogate((char)low))
            {
                return false;
            }

            scalar = char.ConvertToUtf32((char)unit, (char)low);
            consumed = 12;
        }
        else if (char.IsLowSurrogate((char)unit))
        {
            return false;
        }

        written += new Rune(scalar).EncodeToUtf8(buffer.AsSpan(written));
        i += consumed;
        return true;
    }

    private static bool TryHex(ReadOnlySpan<byte> text, int at, out int value)
    {
        value = 0;
        if (at + 4 > text.Length)
        {
            return false;
        }

        for (var k = at; k < at + 4; k++)
        {
            var digit = HexDigit(text[k]);
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | digit;
        }

        return true;
    }

    private static int HexDigit(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private static void Ensure(ref byte[] buffer, int written, int more)
    {
        if (written + more <= buffer.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, written + more));
        buffer.AsSpan(0, written).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = larger;
    }
}
