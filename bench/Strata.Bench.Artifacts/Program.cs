using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.Server.Artifacts;

namespace Strata.Bench.Artifacts;

/// <summary>
/// Artifact proxy throughput: upload and download of one large file through a proxy server running in
/// a child process (so its RSS is its own), against <c>cp</c> of the same file on the same disk.
/// Usage: <c>Strata.Bench.Artifacts [--size-mb 1024] [--dir /tmp] [--sync true|false]</c>;
/// <c>serve --root DIR [--sync ...]</c> is the child's mode.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        var options = ParseOptions(args);
        if (args.Length > 0 && args[0] == "serve")
        {
            await ServeAsync(options["root"], bool.Parse(options.GetValueOrDefault("sync", "true")));
            return 0;
        }

        if (options.TryGetValue("s3rver", out var s3rverScript))
        {
            var sizeMbS3 = int.Parse(options.GetValueOrDefault("size-mb", "1024"), CultureInfo.InvariantCulture);
            var workS3 = Path.Join(options.GetValueOrDefault("dir", Path.GetTempPath()), "strata-bench-artifacts-s3-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(workS3);
            try
            {
                await S3Bench.RunAsync(workS3, sizeMbS3, s3rverScript);
            }
            finally
            {
                Directory.Delete(workS3, recursive: true);
            }

            return 0;
        }

        var sizeMb = int.Parse(options.GetValueOrDefault("size-mb", "1024"), CultureInfo.InvariantCulture);
        var sync = bool.Parse(options.GetValueOrDefault("sync", "true"));
        var work = Path.Join(options.GetValueOrDefault("dir", Path.GetTempPath()), "strata-bench-artifacts-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            await RunAsync(work, sizeMb, sync);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }

        return 0;
    }

    private static async Task RunAsync(string work, int sizeMb, bool sync)
    {
        var size = (long)sizeMb << 20;
        var source = Path.Join(work, "source.bin");
        Console.WriteLine($"size {sizeMb} MiB, fsync on upload: {sync}, dir {work}");
        var sourceHash = await WriteRandomFileAsync(source, size);

        // cp of the same file on the same disk, the baseline (page cache as warm as for the proxy).
        var cpSeconds = Time(() => Run("cp", source, Path.Join(work, "copy.bin")));
        if (sync)
        {
            cpSeconds += Time(() => Run("sync", Path.Join(work, "copy.bin")));
        }

        File.Delete(Path.Join(work, "copy.bin"));
        Report("cp" + (sync ? " + sync" : ""), size, cpSeconds);

        await MeasureProxyAsync(work, source, sourceHash, size, Path.Join(work, "root"), sync, null);
    }

    /// <summary>Upload and download through a proxy child process whose destination is <paramref name="destination"/>.</summary>
    internal static async Task MeasureProxyAsync(string work, string source, byte[] sourceHash, long size, string destination, bool sync, IDictionary<string, string>? environment)
    {
        var root = destination;
        using var server = StartServer(root, sync, environment, out var baseAddress);
        using var rss = new RssSampler(server.Id);
        Console.WriteLine($"server pid {server.Id} at {baseAddress}, RSS at start {rss.CurrentMb:F0} MB");
        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromHours(1) };

        var upload = await TimeAsync(async () =>
        {
            await using var file = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            using var content = new StreamContent(file, 1 << 20);
            using var response = await client.PutAsync("api/2.0/mlflow-artifacts/artifacts/0/run/artifacts/big.bin", content);
            response.EnsureSuccessStatusCode();
        });
        Report("proxy upload", size, upload);

        var downloaded = Path.Join(work, "downloaded.bin");
        var download = await TimeAsync(async () =>
        {
            using var response = await client.GetAsync("api/2.0/mlflow-artifacts/artifacts/0/run/artifacts/big.bin", HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            await using var file = new FileStream(downloaded, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            await (await response.Content.ReadAsStreamAsync()).CopyToAsync(file, 1 << 20);
            if (sync)
            {
                file.Flush(flushToDisk: true);
            }
        });
        Report("proxy download" + (sync ? " + fsync" : ""), size, download);

        var discard = await TimeAsync(async () =>
        {
            using var response = await client.GetAsync("api/2.0/mlflow-artifacts/artifacts/0/run/artifacts/big.bin", HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            await (await response.Content.ReadAsStreamAsync()).CopyToAsync(Stream.Null, 1 << 20);
        });
        Report("proxy download (discard)", size, discard);

        var downloadedHash = await HashFileAsync(downloaded);
        Console.WriteLine($"checksum {(downloadedHash.SequenceEqual(sourceHash) ? "matches" : "DIFFERS")}");
        Console.WriteLine($"server peak RSS {rss.PeakMb:F0} MB (sampled), VmHWM {rss.HighWaterMarkMb:F0} MB");
        server.Kill();
        await server.WaitForExitAsync();
    }

    private static async Task ServeAsync(string root, bool sync)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddStrataArtifacts(o =>
        {
            o.ArtifactsDestination = root;
            o.SyncLocalWrites = sync;
        });
        var app = builder.Build();
        app.MapArtifactsApi();
        await app.StartAsync();
        Console.WriteLine(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        await app.WaitForShutdownAsync();
    }

    private static Process StartServer(string root, bool sync, IDictionary<string, string>? environment, out Uri baseAddress)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Program).Assembly.Location);
        }

        foreach (var arg in new[] { "serve", "--root", root, "--sync", sync.ToString() })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        baseAddress = new Uri(process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("server did not start"));
        return process;
    }

    internal static async Task<byte[]> WriteRandomFileAsync(string path, long size)
    {
        var buffer = new byte[1 << 20];
        var random = new Random(1);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0);
        for (long written = 0; written < size; written += buffer.Length)
        {
            random.NextBytes(buffer);
            hash.AppendData(buffer);
            await file.WriteAsync(buffer);
        }

        file.Flush(flushToDisk: true);
        return hash.GetHashAndReset();
    }

    private static async Task<byte[]> HashFileAsync(string path)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return await SHA256.HashDataAsync(file);
    }

    internal static void Run(string command, params string[] args)
    {
        var start = new ProcessStartInfo(command) { UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} failed with {process.ExitCode}");
        }
    }

    internal static double Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalSeconds;
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalSeconds;
    }

    internal static void Report(string what, long size, double seconds) =>
        Console.WriteLine($"{what,-26} {seconds,7:F2} s  {size / (1024.0 * 1024.0) / seconds,8:F0} MiB/s");

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        var options = new Dictionary<string, string>();
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                options[args[i][2..]] = args[i + 1];
            }
        }

        return options;
    }
}

/// <summary>Samples a process's resident set size from /proc every 20 ms and reads its kernel high-water mark.</summary>
internal sealed class RssSampler : IDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peakKb;

    public RssSampler(int pid)
    {
        _pid = pid;
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var current = Read("VmRSS:");
                if (current > Interlocked.Read(ref _peakKb))
                {
                    Interlocked.Exchange(ref _peakKb, current);
                }

                try
                {
                    await Task.Delay(20, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });
    }

    public double CurrentMb => Read("VmRSS:") / 1024.0;

    public double PeakMb => Interlocked.Read(ref _peakKb) / 1024.0;

    public double HighWaterMarkMb => Read("VmHWM:") / 1024.0;

    public void Dispose()
    {
        _stop.Cancel();
        _loop.Wait();
        _stop.Dispose();
    }

    private long Read(string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }
}
