using Strata.Core.Errors;

namespace Strata.Core.Artifacts;

/// <summary>
/// The one path-safety gate (mlflow-artifacts.md §5) for every artifact path that arrives from a
/// client: URL path segments, <c>path</c> query values, <c>artifact_directory_path</c>, get-artifact.
/// It is stricter than MLflow: control characters are rejected rather than escaped, and <c>file:</c>
/// values are rejected rather than converted.
/// </summary>
public static class ArtifactPath
{
    public const string InvalidPathMessage = "Invalid path";

    private const int MaxDecodeRounds = 10;

    /// <summary>A file name's limit on Linux file systems (NAME_MAX) and the whole key's on S3, in UTF-8 bytes.</summary>
    public const int MaxSegmentBytes = 255;

    public const int MaxPathBytes = 1024;

    /// <summary>
    /// Checks <paramref name="value"/> and returns it as a normalized relative path: segments joined by
    /// <c>/</c>, no empty or <c>.</c> segments, no leading or trailing slash; "" for the root (null and ""
    /// also mean the root). The result keeps the value's own characters (it is not the repeatedly
    /// decoded form, which is only used for checking), as MLflow stores it.
    /// Throws INVALID_PARAMETER_VALUE "Invalid path" when the value is unsafe.
    /// </summary>
    public static string Validate(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        var decoded = DecodeRepeatedly(value);
        if (!IsSafe(value) || !IsSafe(decoded))
        {
            throw Invalid();
        }

        return Normalize(value);
    }

    /// <summary>Whether <see cref="Validate"/> would accept the value.</summary>
    public static bool IsValid(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        return IsSafe(value) && IsSafe(DecodeRepeatedly(value));
    }

    /// <summary>
    /// Joins validated relative paths (either may be ""), e.g. a run's artifact root and a path under it.
    /// The result is validated again, so a caller cannot build an escaping path from safe-looking parts.
    /// </summary>
    public static string Join(string first, string second)
    {
        if (first.Length == 0)
        {
            return Validate(second);
        }

        if (second.Length == 0)
        {
            return Validate(first);
        }

        return Validate(first + "/" + second);
    }

    /// <summary>The last segment of a normalized path ("" for the root).</summary>
    public static string BaseName(string normalized)
    {
        var slash = normalized.LastIndexOf('/');
        return slash < 0 ? normalized : normalized[(slash + 1)..];
    }

    /// <summary>The parent of a normalized path ("" for a top-level entry and for the root).</summary>
    public static string Parent(string normalized)
    {
        var slash = normalized.LastIndexOf('/');
        return slash < 0 ? "" : normalized[..slash];
    }

    internal static MlflowException Invalid() => MlflowException.InvalidParameter(InvalidPathMessage);

    private static string DecodeRepeatedly(string value)
    {
        var current = value;
        for (var round = 0; round < MaxDecodeRounds; round++)
        {
            var next = Uri.UnescapeDataString(current);
            if (next == current)
            {
                return current;
            }

            current = next;
        }

        // Still changing after ten rounds: nobody names a file like that except to get past this check.
        throw Invalid();
    }

    private static bool IsSafe(string value)
    {
        foreach (var c in value)
        {
            if (c < 0x20 || c == 0x7F || c == '#' || c == '\\')
            {
                return false;
            }
        }

        if (value.StartsWith('/'))
        {
            return false;
        }

        // Windows drive forms (C:, C:/x, C:x) and file: URIs, whatever OS the server runs on.
        if (value.Length >= 2 && char.IsAsciiLetter(value[0]) && value[1] == ':')
        {
            return false;
        }

        if (value.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Longer names would fail in the store, not as the client's mistake they are.
        if (System.Text.Encoding.UTF8.GetByteCount(value) > MaxPathBytes)
        {
            return false;
        }

        foreach (var segment in value.Split('/'))
        {
            if (segment == ".." || System.Text.Encoding.UTF8.GetByteCount(segment) > MaxSegmentBytes)
            {
                return false;
            }
        }

        return true;
    }

    private static string Normalize(string value)
    {
        var segments = value.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var kept = new List<string>(segments.Length);
        foreach (var segment in segments)
        {
            if (segment != ".")
            {
                kept.Add(segment);
            }
        }

        return string.Join('/', kept);
    }
}
