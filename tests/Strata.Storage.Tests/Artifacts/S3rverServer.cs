using System.Diagnostics;
using System.Text.RegularExpressions;
using Amazon.S3;
using Strata.Storage.Artifacts;

namespace Strata.Tests.Artifacts;

/// <summary>
/// A real s3rver (npm s3rver 3.7.1) on 127.0.0.1 with a port it picks itself and a temp data folder,
/// started for a test class and stopped after it. The script comes from <c>STRATA_S3RVER</c>, else
/// from <c>&lt;repo&gt;/.tools/s3rver/node_modules/.bin/s3rver</c> (test.sh installs it there).
/// </summary>
public sealed partial class S3rverServer : IAsyncLifetime
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private Process? _process;
    private int _bucketCounter;

    public string DataFolder { get; } = Path.Join(Path.GetTempPath(), "strata-s3rver-" + Guid.NewGuid().ToString("N"));

    public string ServiceUrl { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataFolder);
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // s3rver's ListObjectsV2 continuation tokens use DES, which OpenSSL 3 only has in its legacy provider.
        foreach (var arg in new[] { "--openssl-legacy-provider", FindScript(), "-d", DataFolder, "-a", "127.0.0.1", "-p", "0", "--silent" })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start node");
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var line = await _process.StandardOutput.ReadLineAsync(timeout.Token)
                ?? throw new InvalidOperationException("s3rver exited before listening");
            var match = ListeningLine().Match(line);
            if (match.Success)
            {
                ServiceUrl = "http://127.0.0.1:" + match.Groups[1].Value;
                break;
            }
        }

        // Keep draining stdout so s3rver never blocks on a full pipe.
        _ = _process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(DataFolder, recursive: true);
        }
        catch (IOException)
        {
        }

        return Task.CompletedTask;
    }

    /// <summary>Creates a fresh bucket so tests sharing the server never see each other's keys.</summary>
    public async Task<string> CreateBucketAsync()
    {
        var bucket = $"b{Interlocked.Increment(ref _bucketCounter)}-{Guid.NewGuid():N}"[..20];
        using var client = NewClient();
        await client.PutBucketAsync(bucket);
        return bucket;
    }

    public S3ArtifactStoreOptions Options(string bucket, string prefix = "") => new()
    {
        Bucket = bucket,
        Prefix = prefix,
        ServiceUrl = ServiceUrl,
        AccessKeyId = AccessKey,
        SecretAccessKey = SecretKey,
    };

    public IAmazonS3 NewClient() => new S3ArtifactStore(Options("unused")).Client;

    private static string FindScript()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("STRATA_S3RVER");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Join(dir.FullName, ".tools", "s3rver", "node_modules", ".bin", "s3rver");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("s3rver not found: set STRATA_S3RVER or run test.sh (which installs it into .tools/s3rver)");
    }

    [GeneratedRegex(@"listening on [^:]+:(\d+)")]
    private static partial Regex ListeningLine();
}
