using System.Net;

namespace Strata.Bench;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args is ["scale", ..])
        {
            using var scaleCts = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                scaleCts.Cancel();
            };
            return await ScaleBench.MainAsync(args[1..], scaleCts.Token);
        }

        var options = BenchOptions.Parse(args, out var message);
        if (options is null)
        {
            var isHelp = message == BenchOptions.Usage;
            (isHelp ? Console.Out : Console.Error).WriteLine(isHelp ? message : $"error: {message}\n\n{BenchOptions.Usage}");
            return isHelp ? 0 : 2;
        }

        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };

        using var handler = new SocketsHttpHandler
        {
            // One connection per worker: the workers never have two requests in flight each.
            MaxConnectionsPerServer = options.Connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        };
        // One HttpClient per server over the shared handler (its connection limit is per server).
        var https = (options.Urls.Count == 0 ? [new Uri("http://127.0.0.1/")] : options.Urls)
            .Select(url => new HttpClient(handler, disposeHandler: false)
            {
                BaseAddress = url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/"),
                Timeout = TimeSpan.FromMinutes(5),
            })
            .ToList();
        var bench = new TrackingBench(options, new ServerPool(https.Select(h => new TrackingClient(h)).ToList()), Console.Error);
        try
        {
            var (results, notes) = await bench.RunAsync(cts.Token);
            BenchResult.Print(Console.Out, options, results, notes);
            if (options.TsvPath is { } tsvPath)
            {
                await using var tsv = new StreamWriter(tsvPath);
                BenchResult.WriteTsv(tsv, results);
            }
            return 0;
        }
        catch (BenchException ex)
        {
            Console.Error.WriteLine($"bench failed: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Console.Error.WriteLine("bench cancelled");
            return 130;
        }
        finally
        {
            https.ForEach(h => h.Dispose());
        }
    }
}
