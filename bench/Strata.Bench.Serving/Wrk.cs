using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Strata.Bench.Serving;

/// <summary>One measured point: requests/s and latency percentiles as wrk reports them.</summary>
internal sealed record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Non2xx, long SocketErrors);

/// <summary>Runs <c>wrk --latency</c> with the POST script and reads its summary.</summary>
internal static partial class Wrk
{
    public static async Task<WrkResult> RunAsync(
        string url, int connections, TimeSpan duration, string body, string script, CancellationToken ct, TimeSpan? timeout = null, string? authorization = null)
    {
        var info = new ProcessStartInfo("wrk")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // wrk's own timeout (2 s unless given) counts slower answers as errors, not requests.
        var timeoutArgs = timeout is { } limit ? new[] { "--timeout", $"{(int)limit.TotalSeconds}s" } : [];
        foreach (var arg in new[]
        {
            "-t", Math.Min(2, connections).ToString(CultureInfo.InvariantCulture),
            "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-d", $"{(int)duration.TotalSeconds}s",
        }.Concat(timeoutArgs).Concat(["--latency", "-s", script, url]))
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["BENCH_BODY"] = body;
        if (authorization is not null)
        {
            info.Environment["BENCH_AUTHORIZATION"] = authorization;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("wrk did not start");
        var output = await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"wrk failed: {await process.StandardError.ReadToEndAsync(ct)}");
        }

        return new WrkResult(
            double.Parse(RequestsPerSecond().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
            Percentile(output, "50%"),
            Percentile(output, "99%"),
            long.Parse(Non2xx().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
            long.Parse(Non2xx().Match(output).Groups[2].Value, CultureInfo.InvariantCulture));
    }

    private static double Percentile(string output, string label)
    {
        var match = Regex.Match(output, @"^\s*" + Regex.Escape(label) + @"\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "us" => value / 1000,
            "s" => value * 1000,
            _ => value,
        };
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"BENCH non2xx=(\d+) errors=(\d+)")]
    private static partial Regex Non2xx();
}
