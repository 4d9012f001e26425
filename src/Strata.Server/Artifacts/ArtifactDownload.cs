using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Strata.Core.Artifacts;

namespace Strata.Server.Artifacts;

/// <summary>
/// Sends a stored file as an attachment: MLflow's headers (§3.2) plus single byte-range support
/// (206 with Content-Range, 416 when the range lies past the end). Multi-range requests get the whole file.
/// </summary>
public static class ArtifactDownload
{
    public static async Task SendAsync(HttpContext http, IArtifactStore store, string path, long length)
    {
        var response = http.Response;
        var name = ArtifactPath.BaseName(path);
        response.ContentType = ArtifactContentTypes.For(name);
        var disposition = new ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(name);
        response.Headers.ContentDisposition = disposition.ToString();
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.AcceptRanges = "bytes";

        ByteRange? range = null;
        if (length > 0 && TryGetRange(http.Request, length, out var requested))
        {
            if (requested is not { } satisfiable)
            {
                response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                response.Headers.ContentRange = new ContentRangeHeaderValue(length).ToString();
                response.ContentLength = 0;
                return;
            }

            range = satisfiable;
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = new ContentRangeHeaderValue(satisfiable.Offset, satisfiable.LastByte, length).ToString();
        }

        response.ContentLength = range?.Length ?? length;
        if (HttpMethods.IsHead(http.Request.Method) || response.ContentLength == 0)
        {
            return;
        }

        await store.DownloadAsync(path, response.Body, range, http.RequestAborted);
    }

    /// <summary>
    /// True when the request carries one byte range to honour; <paramref name="range"/> is then the
    /// clipped range, or null when it cannot be satisfied.
    /// </summary>
    private static bool TryGetRange(HttpRequest request, long length, out ByteRange? range)
    {
        range = null;
        var header = request.Headers.Range;
        if (header.Count != 1 || !RangeHeaderValue.TryParse(header.ToString(), out var parsed)
            || !string.Equals(parsed.Unit.Value, "bytes", StringComparison.OrdinalIgnoreCase) || parsed.Ranges.Count != 1)
        {
            return false;
        }

        var item = parsed.Ranges.First();
        long start, end;
        if (item.From is { } from)
        {
            start = from;
            end = Math.Min(item.To ?? length - 1, length - 1);
        }
        else if (item.To is { } suffix)
        {
            if (suffix == 0)
            {
                return true; // "bytes=-0" asks for nothing: unsatisfiable
            }

            start = Math.Max(0, length - suffix);
            end = length - 1;
        }
        else
        {
            return false;
        }

        if (start >= length || start > end)
        {
            return true;
        }

        range = new ByteRange(start, end - start + 1);
        return true;
    }
}
