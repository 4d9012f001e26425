using System.Globalization;
using System.Text.RegularExpressions;

namespace Strata.Bench;

/// <summary>
/// The server-side time of get-history pages, from the lines a Strata server logs at Debug level
/// (<c>metrics/get-history: N points, server time X ms</c>) after this object was made. A streamed body sends its
/// headers first, so the server's time from the handler's start to the last byte cannot travel in a header; the
/// client's own measurement includes its JSON decoding on the same cores.
/// </summary>
internal sealed partial class ServerLogTimings
{
    private readonly string _path;
    private readonly long _start;

    public ServerLogTimings(string path)
    {
        _path = path;
        _start = File.Exists(path) ? new FileInfo(path).Length : 0;
    }

    /// <summary>The times (ms) of the pages logged since construction, waiting a little for the logger to catch up.</summary>
    public async Task<List<double>> ReadAsync(int expected, CancellationToken ct)
    {
        var times = new List<double>();
        for (var attempt = 0; attempt < 50; attempt++)
        {
            times.Clear();
            await using (var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                stream.Seek(_start, SeekOrigin.Begin);
                using var reader = new StreamReader(stream);
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    if (Line().Match(line) is { Success: true } m)
                    {
                        times.Add(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
                    }
                }
            }
            if (times.Count >= expected)
            {
                break;
            }
            await Task.Delay(100, ct);
        }
        if (times.Count < expected)
        {
            throw new BenchException($"the server log {_path} holds {times.Count} get-history timings, expected {expected}: "
                + "start the server with Logging__LogLevel__Strata.Server.Tracking.MetricHistoryResult=Debug");
        }
        return times;
    }

    [GeneratedRegex(@"metrics/get-history: \d+ points, server time ([0-9.]+) ms")]
    private static partial Regex Line();
}
