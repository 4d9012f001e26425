using System.Globalization;

namespace Strata.Bench;

/// <summary>Sizes of every phase; <c>--quick</c> shrinks the defaults so a smoke run takes seconds.</summary>
internal sealed record BenchOptions
{
    /// <summary>The servers to load; connections are spread round-robin over them (empty with --ceiling-only).</summary>
    public required IReadOnlyList<Uri> Urls { get; init; }
    public bool Quick { get; init; }
    public bool NoCeiling { get; init; }
    public string? TsvPath { get; init; }
    public bool CeilingOnly { get; init; }
    public int Connections { get; init; } = 8;
    public int BatchSize { get; init; } = 1000;
    public int BatchMetrics { get; init; } = 1_000_000;
    public int SingleCalls { get; init; } = 20_000;
    public int CreateRuns { get; init; } = 2_000;
    public int SearchRuns { get; init; } = 10_000;
    public int SearchQueries { get; init; } = 200;
    public int HistorySteps { get; init; } = 100_000;
    public int HistoryReads { get; init; } = 10;
    public int HistoryPageSize { get; init; } = 25_000;
    public int? CeilingRows { get; init; }
    public string? SqliteDirectory { get; init; }

    /// <summary>The server's process id when it runs on this machine: phases then also report its CPU per operation.</summary>
    public int? ServerPid { get; init; }

    /// <summary>The server's console log, written with <c>Logging__LogLevel__Strata.Server.Tracking.MetricHistoryResult=Debug</c>.</summary>
    public string? ServerLog { get; init; }

    public const string Usage = """
        Strata tracking load generator: measures a running Strata (or MLflow) tracking server over HTTP.

        usage: dotnet run -c Release --project bench/Strata.Bench -- --url http://127.0.0.1:PORT [options]

          --url URL               base URL of the running server (required); repeat it or give a comma-separated
                                  list to load several replicas: connections are spread round-robin over them
          --quick                 small sizes for a smoke run (a few seconds)
          --ceiling-only          only the in-process SQLite ceiling (no server, --url not needed)
          --connections N         concurrent HTTP connections (default 8)
          --batch-metrics N       metrics sent in the log-batch phase (default 1000000; quick 50000)
          --batch-size N          metrics per log-batch request (default 1000, the server's limit)
          --single-calls N        single log-metric calls (default 20000; quick 1000)
          --create-runs N         runs created in the create-run phase (default 2000; quick 200)
          --search-runs N         runs seeded for search, 5 params and 5 metrics each (default 10000; quick 1000)
          --search-queries N      search requests measured (default 200; quick 20)
          --history-steps N       points of the metric read back by get-history (default 100000; quick 10000)
          --history-reads N       full history reads measured (default 10; quick 3)
          --history-page-size N   max_results per get-history page (default 25000, as the Python client)
          --ceiling-rows N        rows inserted straight into SQLite for the ceiling (default: --batch-metrics)
          --no-ceiling            skip the in-process SQLite ceiling (e.g. when the server is not on SQLite)
          --tsv FILE              also write the results as tab-separated lines (phase, rate, unit, p50 ms, p99 ms)
          --server-pid PID        the server's process id (same machine): log-batch and get-history also report its CPU per request
          --server-log FILE       the server's log (started with Logging__LogLevel__Strata.Server.Tracking.MetricHistoryResult=Debug):
                                  get-history also reports the server's own time per full read from its lines
          --sqlite-dir DIR        where the ceiling's scratch SQLite file goes (default: a temp dir, deleted after)
          --help                  this text
        """;

    /// <summary>Parses the command line; returns null with a message when it is wrong or help was asked.</summary>
    public static BenchOptions? Parse(string[] args, out string? message)
    {
        message = null;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var quick = false;
        var ceilingOnly = false;
        var noCeiling = false;
        var urlTexts = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--help" or "-h":
                    message = Usage;
                    return null;
                case "--quick":
                    quick = true;
                    continue;
                case "--ceiling-only":
                    ceilingOnly = true;
                    continue;
                case "--no-ceiling":
                    noCeiling = true;
                    continue;
            }
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                message = $"unexpected argument '{arg}'";
                return null;
            }
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            string name, value;
            if (eq > 0)
            {
                (name, value) = (arg[..eq], arg[(eq + 1)..]);
            }
            else if (i + 1 < args.Length)
            {
                (name, value) = (arg, args[++i]);
            }
            else
            {
                message = $"option {arg} needs a value";
                return null;
            }

            // --url is the one option that may be repeated: each occurrence adds servers.
            if (name == "--url")
            {
                urlTexts.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }
            else
            {
                values[name] = value;
            }
        }

        var urls = new List<Uri>();
        foreach (var text in urlTexts)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                message = $"--url must be http://HOST:PORT, got '{text}'";
                return null;
            }
            urls.Add(uri);
        }
        if (!ceilingOnly && urls.Count == 0)
        {
            message = "--url http://HOST:PORT of a running server is required";
            return null;
        }

        try
        {
            var options = new BenchOptions
            {
                Urls = ceilingOnly ? [] : urls,
                Quick = quick,
                NoCeiling = noCeiling,
                TsvPath = values.Remove("--tsv", out var tsv) ? tsv : null,
                ServerPid = values.ContainsKey("--server-pid") ? Int(values, "--server-pid", 0) : null,
                ServerLog = values.Remove("--server-log", out var serverLog) ? serverLog : null,
                CeilingOnly = ceilingOnly,
                Connections = Int(values, "--connections", 8),
                BatchSize = Int(values, "--batch-size", 1000),
                BatchMetrics = Int(values, "--batch-metrics", quick ? 50_000 : 1_000_000),
                SingleCalls = Int(values, "--single-calls", quick ? 1_000 : 20_000),
                CreateRuns = Int(values, "--create-runs", quick ? 200 : 2_000),
                SearchRuns = Int(values, "--search-runs", quick ? 1_000 : 10_000),
                SearchQueries = Int(values, "--search-queries", quick ? 20 : 200),
                HistorySteps = Int(values, "--history-steps", quick ? 10_000 : 100_000),
                HistoryReads = Int(values, "--history-reads", quick ? 3 : 10),
                HistoryPageSize = Int(values, "--history-page-size", 25_000),
                CeilingRows = values.ContainsKey("--ceiling-rows") ? Int(values, "--ceiling-rows", 0) : null,
                SqliteDirectory = values.Remove("--sqlite-dir", out var dir) ? dir : null,
            };
            if (values.Count > 0)
            {
                message = $"unknown option {values.Keys.First()}";
                return null;
            }
            return options;
        }
        catch (FormatException ex)
        {
            message = ex.Message;
            return null;
        }
    }

    private static int Int(Dictionary<string, string> values, string name, int fallback)
    {
        if (!values.Remove(name, out var text))
        {
            return fallback;
        }
        if (!int.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < 1)
        {
            throw new FormatException($"{name} must be a positive integer, got '{text}'");
        }
        return value;
    }
}
