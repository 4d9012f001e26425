using System.Diagnostics;
using System.Text.RegularExpressions;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.Runtime;

namespace Strata.Bench.Artifacts;

/// <summary>
/// The same proxy measurement with an S3 destination: a local s3rver (npm, started here on a free
/// port with a temp folder) behind the proxy. s3rver itself (Node, MD5 of every byte) is the ceiling.
/// </summary>
internal static partial class S3Bench
{
    public static async Task RunAsync(string work, int sizeMb, string s3rverScript)
    {
        var data = Path.Join(work, "s3rver-data");
        Directory.CreateDirectory(data);
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--openssl-legacy-provider", s3rverScript, "-d", data, "-a", "127.0.0.1", "-p", "0", "--silent" })
        {
            start.ArgumentList.Add(arg);
        }

        using var s3rver = Process.Start(start)!;
        try
        {
            string endpoint;
            while (true)
            {
                var line = await s3rver.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("s3rver exited");
                var match = Listening().Match(line);
                if (match.Success)
                {
                    endpoint = "http://127.0.0.1:" + match.Groups[1].Value;
                    break;
                }
            }

            _ = s3rver.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
            _ = s3rver.StandardError.BaseStream.CopyToAsync(Stream.Null);
            using (var client = new AmazonS3Client(new BasicAWSCredentials("S3RVER", "S3RVER"), new AmazonS3Config { ServiceURL = endpoint, ForcePathStyle = true }))
            {
                await client.PutBucketAsync(new PutBucketRequest { BucketName = "bench" });
            }

            var size = (long)sizeMb << 20;
            var source = Path.Join(work, "source.bin");
            Console.WriteLine($"size {sizeMb} MiB, destination s3://bench/mlartifacts on s3rver {endpoint}");
            var hash = await Program.WriteRandomFileAsync(source, size);
            var environment = new Dictionary<string, string>
            {
                ["MLFLOW_S3_ENDPOINT_URL"] = endpoint,
                ["AWS_ACCESS_KEY_ID"] = "S3RVER",
                ["AWS_SECRET_ACCESS_KEY"] = "S3RVER",
            };
            await Program.MeasureProxyAsync(work, source, hash, size, "s3://bench/mlartifacts", sync: false, environment);
        }
        finally
        {
            if (!s3rver.HasExited)
            {
                s3rver.Kill(entireProcessTree: true);
                await s3rver.WaitForExitAsync();
            }
        }
    }

    [GeneratedRegex(@"listening on [^:]+:(\d+)")]
    private static partial Regex Listening();
}
