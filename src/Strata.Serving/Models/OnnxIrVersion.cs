namespace Strata.Serving.Models;

/// <summary>Reads the IR version of an ONNX model (ModelProto field 1) without a protobuf library.</summary>
public static class OnnxIrVersion
{
    public static long? Read(ReadOnlySpan<byte> model)
    {
        var pos = 0;
        while (pos < model.Length)
        {
            if (!TryVarint(model, ref pos, out var tag))
            {
                return null;
            }

            var field = tag >> 3;
            switch (tag & 7)
            {
                case 0:
                    if (!TryVarint(model, ref pos, out var value))
                    {
                        return null;
                    }

                    if (field == 1)
                    {
                        return (long)value;
                    }

                    break;
                case 1:
                    pos += 8;
                    break;
                case 2:
                    if (!TryVarint(model, ref pos, out var length))
                    {
                        return null;
                    }

                    pos += (int)length;
                    break;
                case 5:
                    pos += 4;
                    break;
                default:
                    return null;
            }
        }

        return null;
    }

    /// <summary>The first onnx (Python) release whose default IR version is <paramref name="irVersion"/>.</summary>
    public static string OnnxReleaseFor(long? irVersion) => irVersion switch
    {
        <= 3 => "1.0.0",
        4 => "1.4.0",
        5 => "1.5.0",
        6 => "1.6.0",
        7 => "1.7.0",
        8 => "1.10.0",
        9 => "1.14.0",
        10 => "1.16.0",
        >= 11 => "1.18.0",
        null => "1.14.0",
    };

    /// <summary>
    /// The first onnx release with wheels on PyPI for <paramref name="pythonVersion"/> (major.minor), so a pinned
    /// <c>onnx==</c> requirement installs without a source build (onnx 1.6 or 1.10 cannot be pip-installed on 3.10+).
    /// Unknown or older versions impose no floor.
    /// </summary>
    public static string OnnxReleaseForPython(string pythonVersion)
    {
        var parts = pythonVersion.Split('.');
        if (parts.Length < 2 || parts[0] != "3" || !int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var minor))
        {
            return "1.0.0";
        }

        return minor switch
        {
            <= 9 => "1.0.0",
            10 => "1.12.0",
            11 => "1.13.0",
            12 => "1.16.0",
            _ => "1.18.0",
        };
    }

    /// <summary>The later of two onnx release numbers (major.minor.patch).</summary>
    public static string Later(string a, string b) => Version.Parse(a) >= Version.Parse(b) ? a : b;

    private static bool TryVarint(ReadOnlySpan<byte> data, ref int pos, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && pos < data.Length; shift += 7)
        {
            var b = data[pos++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }
}
