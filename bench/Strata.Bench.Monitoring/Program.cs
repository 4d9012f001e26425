using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dapper;
using Strata.Core.Monitoring;
using Strata.Storage.Database.Sqlite;
using Strata.Storage.Migrations;
using Strata.Storage.Monitoring;
using Strata.Storage.Serving;

// Drift over a window of the prediction log: N logged rows of 20 features (16 numeric, 4 categorical) in requests of
// R rows each (dataframe_split, as MLflow's client sends them), on SQLite in a temp folder. Phases, each timed
// `repeat` times (best and median reported):
//   scan     — reading the window's segments and nothing else (the floor: what any drift over the log must pay)
//   read     — the window read and parsed into feature tables (PredictionWindowReader)
//   stats    — the drift statistics on the filled tables (DriftCalculator), for a large (Wasserstein/Jensen–Shannon)
//              and a small (KS/chi-squared) reference
//   total    — read + stats, what one drift run costs
// Usage: dotnet run -c Release --project bench/Strata.Bench.Monitoring -- [rows=1000000] [rowsPerRequest=100] [repeat=3]
var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var perRequest = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
var repeat = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
const int NumericFeatures = 16;
const int CategoricalFeatures = 4;
string[] categories = ["a", "b", "c", "d", "e"];

var dir = Directory.CreateTempSubdirectory("strata-bench-drift-");
try
{
    await using var database = await SqliteDatabase.OpenAsync(Path.Combine(dir.FullName, "strata.db"));
    await new MigrationRunner(database).MigrateAsync(default);
    var random = new Random(42);
    string Name(int f) => f < NumericFeatures ? $"n{f}" : $"c{f - NumericFeatures}";

    // Reference data: the same distributions as the logged rows, but the first 4 numeric features shifted.
    FeatureTable Reference(int count)
    {
        var table = new FeatureTable();
        for (var r = 0; r < count; r++)
        {
            for (var f = 0; f < NumericFeatures; f++)
            {
                table.Column(Name(f)).AddNumber(Gaussian(random) + (f < 4 ? 0.5 : 0));
            }

            for (var f = 0; f < CategoricalFeatures; f++)
            {
                table.Column(Name(NumericFeatures + f)).AddCategory(categories[random.Next(categories.Length)]);
            }

            table.Column("prediction").AddNumber(random.NextDouble());
            table.EndRows(1);
        }

        return table;
    }

    var largeReference = ProfileBuilder.Build(Reference(50_000), "prediction", "bench");
    var smallReference = ProfileBuilder.Build(Reference(1_000), "prediction", "bench");

    Console.Error.WriteLine($"logging {rows:N0} rows in requests of {perRequest} ...");
    var log = new PredictionLogStore(database);
    var batch = new List<PredictionLogRecord>();
    var body = new StringBuilder();
    var outputs = new StringBuilder();
    for (var start = 0; start < rows; start += perRequest)
    {
        body.Clear().Append("{\"dataframe_split\": {\"columns\": [");
        for (var f = 0; f < NumericFeatures + CategoricalFeatures; f++)
        {
            body.Append(f == 0 ? "" : ", ").Append('"').Append(Name(f)).Append('"');
        }

        body.Append("], \"data\": [");
        outputs.Clear().Append("{\"predictions\": [");
        var n = Math.Min(perRequest, rows - start);
        for (var r = 0; r < n; r++)
        {
            body.Append(r == 0 ? "[" : ", [");
            for (var f = 0; f < NumericFeatures; f++)
            {
                body.Append(f == 0 ? "" : ", ").Append(Gaussian(random).ToString("F4", CultureInfo.InvariantCulture));
            }

            for (var f = 0; f < CategoricalFeatures; f++)
            {
                body.Append(", \"").Append(categories[random.Next(categories.Length)]).Append('"');
            }

            body.Append(']');
            outputs.Append(r == 0 ? "" : ", ").Append(random.NextDouble().ToString("F4", CultureInfo.InvariantCulture));
        }

        body.Append("]}}");
        outputs.Append("]}");
        batch.Add(new PredictionLogRecord($"req-{start}", "bench", "1", 1_000 + start, 100, 200, "mlflow", body.ToString(), outputs.ToString(), null));
        if (batch.Count == 1000)
        {
            await log.InsertAsync(batch, default);
            batch.Clear();
        }
    }

    await log.InsertAsync(batch, default);
    var bytes = await database.ReadAsync((c, ct) => c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT SUM(length(entries)) FROM prediction_log_segments", cancellationToken: ct)), default);
    Console.Error.WriteLine($"logged: {bytes / 1e6:F0} MB of segments");

    var scan = new List<double>();
    var read = new List<double>();
    var statsLarge = new List<double>();
    var statsSmall = new List<double>();
    var cpuRead = new List<double>();
    var readWarm = new List<double>();
    var cpuWarm = new List<double>();
    var cpuLarge = new List<double>();
    var sortComparison = new List<double>();
    var sortRadix = new List<double>();
    var parseGeneral = new List<double>();
    var parseShort = new List<double>();

    // 2,000,000 numbers as the bodies hold them (F4), parsed by the general UTF-8 parser (what Utf8JsonReader.GetDouble
    // uses) and by the short-decimal path the dataframe_split reader now tries first.
    var numberRandom = new Random(11);
    var numberTexts = Enumerable.Range(0, 2_000_000)
        .Select(_ => Encoding.ASCII.GetBytes(Gaussian(numberRandom).ToString("F4", CultureInfo.InvariantCulture))).ToArray();
    var process = Process.GetCurrentProcess();
    double Cpu()
    {
        process.Refresh();
        return process.TotalProcessorTime.TotalSeconds;
    }

    FeatureTable? inputs = null, outputsTable = null;
    var scanBuffer = Array.Empty<byte>();
    var gcRead = new List<GcCost>();
    var gcLarge = new List<GcCost>();
    for (var i = 0; i < repeat; i++)
    {
        // Every repeat starts from the same heap: the previous repeat's tables and copies are not collected inside this one.
        inputs = outputsTable = null;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var sw = Stopwatch.StartNew();
        var scanned = await database.ReadAsync(
            async (c, ct) =>
            {
                await using var r = await c.ExecuteReaderAsync(new CommandDefinition(
                    "SELECT entries FROM prediction_log_segments WHERE model_name = 'bench' AND model_version = '1' AND max_timestamp_ms >= 0 AND min_timestamp_ms <= @to",
                    new { to = long.MaxValue }, cancellationToken: ct));
                // The entries' UTF-8 bytes into one reused buffer, as the window reader loads them: no string, no garbage
                // left for the next phase's collector.
                long total = 0;
                while (await r.ReadAsync(ct))
                {
                    var length = (int)r.GetBytes(0, 0, null, 0, 0);
                    if (length > scanBuffer.Length)
                    {
                        scanBuffer = new byte[length];
                    }

                    total += r.GetBytes(0, 0, scanBuffer, 0, length);
                }

                return total;
            },
            default);
        scan.Add(sw.Elapsed.TotalSeconds);

        // A new reader each repeat: nothing parsed before is kept, the read is cold.
        var reader = new PredictionWindowReader(database);
        sw.Restart();
        var cpu = Cpu();
        var gc = GcCost.Now();
        inputs = new FeatureTable();
        outputsTable = new FeatureTable();
        await reader.ReadWindowAsync("bench", "1", 0, long.MaxValue, inputs, outputsTable, default);
        read.Add(sw.Elapsed.TotalSeconds);
        cpuRead.Add(Cpu() - cpu);
        gcRead.Add(GcCost.Now() - gc);
        if (inputs.RowCount != rows)
        {
            throw new InvalidOperationException($"read {inputs.RowCount} rows, expected {rows}");
        }

        var numeric = inputs.Columns.Concat(outputsTable.Columns).Where(c => !c.IsCategorical && c.NumberCount > 0).Select(c => c.Numbers.ToArray()).ToList();
        sw.Restart();
        cpu = Cpu();
        gc = GcCost.Now();
        var large = DriftCalculator.Compute(largeReference, inputs, outputsTable);
        statsLarge.Add(sw.Elapsed.TotalSeconds);
        cpuLarge.Add(Cpu() - cpu);
        gcLarge.Add(GcCost.Now() - gc);
        sw.Restart();
        var small = DriftCalculator.Compute(smallReference, inputs, outputsTable);
        statsSmall.Add(sw.Elapsed.TotalSeconds);
        // After the drift phases: the sorts the statistics need, on copies of the window's numeric columns as read, a
        // comparison sort (what drift used before) against the radix sort it uses now, one column after another on one core.
        sw.Restart();
        foreach (var copy in numeric.Select(c => c.ToArray()))
        {
            Array.Sort(copy);
        }

        sortComparison.Add(sw.Elapsed.TotalSeconds);
        sw.Restart();
        foreach (var copy in numeric.Select(c => c.ToArray()))
        {
            NumberSort.Sort(copy);
        }

        sortRadix.Add(sw.Elapsed.TotalSeconds);

        sw.Restart();
        var check = 0.0;
        foreach (var text in numberTexts)
        {
            System.Buffers.Text.Utf8Parser.TryParse(text, out double v, out _);
            check += v;
        }

        parseGeneral.Add(sw.Elapsed.TotalSeconds);
        sw.Restart();
        var check2 = 0.0;
        foreach (var text in numberTexts)
        {
            DecimalText.TryParse(text, out var v);
            check2 += v;
        }

        parseShort.Add(sw.Elapsed.TotalSeconds);
        if (check != check2)
        {
            throw new InvalidOperationException($"the parsers disagree: {check} vs {check2}");
        }

        // The same window again through the same reader: every segment lies wholly inside it, so all come from what
        // the cold read kept (a drift page re-reading a run's window, another method or threshold).
        sw.Restart();
        cpu = Cpu();
        var again = new FeatureTable();
        await reader.ReadWindowAsync("bench", "1", 0, long.MaxValue, again, new FeatureTable(), default);
        readWarm.Add(sw.Elapsed.TotalSeconds);
        cpuWarm.Add(Cpu() - cpu);
        if (again.RowCount != rows)
        {
            throw new InvalidOperationException($"read {again.RowCount} rows from the kept segments, expected {rows}");
        }

        if (i == 0)
        {
            Console.Error.WriteLine($"kept: {reader.CachedBytes / 1e6:F0} MB of parsed segments");
            Console.Error.WriteLine($"large reference: {large.Features.Count} features, drifted {string.Join(",", large.Features.Where(f => f.Drifted).Select(f => f.Feature))}");
            Console.Error.WriteLine($"small reference: {small.Features.Count} features, drifted {string.Join(",", small.Features.Where(f => f.Drifted).Select(f => f.Feature))}");
        }
    }

    Console.WriteLine($"drift over {rows:N0} logged rows x 20 features (+ prediction), {perRequest} rows per request, {repeat} runs, {Environment.ProcessorCount} cores");
    Console.WriteLine("phase                          best s   median s");
    Report("scan segments (floor)", scan);
    Report("read + parse window", read);
    Report("read, segments kept (warm)", readWarm);
    Report("stats, large ref (W/JS)", statsLarge);
    Report("stats, small ref (KS/chi2)", statsSmall);
    Report("total, large ref", read.Zip(statsLarge, (a, b) => a + b).ToList());
    Report("total, small ref", read.Zip(statsSmall, (a, b) => a + b).ToList());
    Report("CPU s: read + parse", cpuRead);
    Report("CPU s: read, kept (warm)", cpuWarm);
    Report("CPU s: stats, large ref", cpuLarge);
    Report("CPU s: total, large ref", cpuRead.Zip(cpuLarge, (a, b) => a + b).ToList());
    Console.WriteLine($"GC server={System.Runtime.GCSettings.IsServerGC} latency={System.Runtime.GCSettings.LatencyMode}; per repeat: wall s / CPU s, GC (gen0/gen1/gen2 collections, pause s, allocated MB)");
    for (var i = 0; i < gcRead.Count; i++)
    {
        Console.WriteLine(FormattableString.Invariant(
            $"  repeat {i + 1}: read + parse {read[i]:F3} / {cpuRead[i]:F3}, GC {gcRead[i]}; stats, large ref {statsLarge[i]:F3} / {cpuLarge[i]:F3}, GC {gcLarge[i]}"));
    }

    Report("sort numeric cols, Array.Sort", sortComparison);
    Report("sort numeric cols, NumberSort", sortRadix);
    Report("2M numbers, Utf8Parser", parseGeneral);
    Report("2M numbers, DecimalText", parseShort);
    Console.WriteLine(FormattableString.Invariant($"load average at the end: {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
}
finally
{
    SqliteConnectionPoolClear();
    dir.Delete(recursive: true);
}

static void Report(string phase, List<double> seconds)
{
    var sorted = seconds.Order().ToList();
    Console.WriteLine(FormattableString.Invariant($"{phase,-30} {sorted[0],7:F3}  {sorted[sorted.Count / 2],8:F3}"));
}

static double Gaussian(Random random) =>
    Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

static void SqliteConnectionPoolClear() => Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

/// <summary>What the collector did between two points: collections per generation, pause time, bytes allocated.</summary>
internal readonly record struct GcCost(int Gen0, int Gen1, int Gen2, TimeSpan Pause, long Allocated)
{
    public static GcCost Now() => new(
        GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes(precise: true));

    public static GcCost operator -(GcCost a, GcCost b) => new(a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.Pause - b.Pause, a.Allocated - b.Allocated);

    public override string ToString() => FormattableString.Invariant($"{Gen0}/{Gen1}/{Gen2}, {Pause.TotalSeconds:F3} s, {Allocated / 1e6:F0} MB");
}
