using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Strata.Core.Models;
using Strata.Server;
using Strata.Serving.Batching;
using Strata.Serving.Hosting;
using Strata.Serving.Models;
using Strata.Serving.Python;

namespace Strata.Bench.Serving;

/// <summary>
/// python_function serving: a scikit-learn pipeline served by Strata's Python workers (batching off and on, loaded
/// with and without MLflow importable), by MLflow's own scoring server (<c>mlflow models serve --env-manager local</c>)
/// on the same folder, and exported to ONNX and served natively; one-row and 64-row requests at 64 connections.
/// Usage: <c>Strata.Bench.Serving.dll python [seconds-per-point=5] [rounds=3] [workers=cores]</c>; the MLflow tree is
/// <c>STRATA_BENCH_MLFLOW</c> (default /opt/mlflow3 when present), the interpreter <c>STRATA_BENCH_PYTHON</c>
/// (default /usr/bin/python3).
/// </summary>
internal static class PythonBench
{
    private const int Connections = 64;

    public static async Task RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        var workers = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
        var python = Environment.GetEnvironmentVariable("STRATA_BENCH_PYTHON") is { Length: > 0 } p ? p : File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var tree = Environment.GetEnvironmentVariable("STRATA_BENCH_MLFLOW") is { Length: > 0 } t ? t : Directory.Exists("/opt/mlflow3/src") ? "/opt/mlflow3" : null;
        var pythonPath = tree is null ? null : $"{tree}/src:{tree}/deps";
        var root = Directory.CreateTempSubdirectory("strata-bench-python-").FullName;
        var script = Path.Combine(AppContext.BaseDirectory, "post.lua");
        var started = new List<Process>();
        try
        {
            Console.WriteLine($"Training the model with {python}{(tree is null ? "" : $" (MLflow from {tree})")}...");
            await RunToEndAsync(python, [Path.Combine(AppContext.BaseDirectory, "python", "make_wine_model.py"), root], pythonPath);
            var modelFolder = Path.Combine(root, "model");
            var onnxFolder = await SaveOnnxAsync(root);
            var bodies = new (string Name, string Json, int Rows)[]
            {
                ("1 row", await File.ReadAllTextAsync(Path.Combine(root, "one.json")), 1),
                ("64 rows", await File.ReadAllTextAsync(Path.Combine(root, "many.json")), 64),
            };
            var expected = JsonSerializer.Deserialize<long[]>(await File.ReadAllTextAsync(Path.Combine(root, "expected.json")))!;

            // --python pointed at an interpreter that sees MLflow: the workers then load with mlflow.pyfunc.load_model.
            var withMlflow = Path.Combine(root, "python-with-mlflow");
            if (pythonPath is not null)
            {
                await File.WriteAllTextAsync(withMlflow, $"#!/bin/sh\nPYTHONPATH={pythonPath} exec {python} \"$@\"\n");
                MakeExecutable(withMlflow);
            }

            var targets = new List<(string Name, string Url)>();
            await using var off = await StartAsync(root, "off", modelFolder, onnxFolder, python, workers, batching: false);
            // The product's default for a python_function model: adaptive batching on, up to 512 rows a call.
            await using var on = await StartAsync(root, "on", modelFolder, null, python, workers, batching: null);
            targets.Add(($"strata python x{workers}, batching off", Address(off) + "/serving/sklearn/invocations"));
            targets.Add(($"strata python x{workers}, default (batching on)", Address(on) + "/serving/sklearn/invocations"));
            await using var viaMlflow = pythonPath is null ? null : await StartAsync(root, "mlflow-loader", modelFolder, null, withMlflow, workers, batching: null);
            if (viaMlflow is not null)
            {
                targets.Add(($"strata python x{workers}, default, mlflow.pyfunc loader", Address(viaMlflow) + "/serving/sklearn/invocations"));
            }

            targets.Add(("strata onnx (native), batching off", Address(off) + "/serving/onnx/invocations"));
            string? mlflowName = null;
            if (tree is not null)
            {
                var (process, url, note) = await StartMlflowAsync(root, python, pythonPath!, modelFolder, workers);
                Console.WriteLine(note);
                if (process is not null)
                {
                    started.Add(process);
                    mlflowName = $"mlflow models serve -w {workers} ({Path.GetFileName(tree)})";
                    targets.Add((mlflowName, url + "/invocations"));
                }
            }
            else
            {
                Console.WriteLine("No MLflow tree (STRATA_BENCH_MLFLOW or /opt/mlflow3): MLflow's scoring server is not measured.");
            }

            // Every target must give the pipeline's own answers before it is timed.
            using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) })
            {
                foreach (var (name, url) in targets)
                {
                    using var response = await http.PostAsync(url, new StringContent(bodies[1].Json, System.Text.Encoding.UTF8, "application/json"));
                    var text = await response.Content.ReadAsStringAsync();
                    var got = JsonDocument.Parse(text).RootElement.GetProperty("predictions").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                    Console.WriteLine($"check {name}: {(got.SequenceEqual(expected) ? "same 64 predictions as the pipeline in Python" : "DIFFERENT: " + text)}");
                }
            }

            foreach (var (_, url) in targets)
            {
                await Wrk.RunAsync(url, 16, TimeSpan.FromSeconds(1), bodies[0].Json, script, CancellationToken.None);
            }

            Console.WriteLine();
            Console.WriteLine($"{seconds} s per point, median of {rounds} interleaved rounds, {Connections} connections, dataframe_split bodies, prediction log off, wrk on the same machine ({Environment.ProcessorCount} cores)");
            Console.WriteLine();
            Console.WriteLine("| target | body | req/s | rows/s | x MLflow | p50 ms | p99 ms | non-2xx |");
            Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
            foreach (var body in bodies)
            {
                var results = targets.Select(_ => new List<WrkResult>()).ToArray();
                for (var round = 0; round < rounds; round++)
                {
                    for (var i = 0; i < targets.Count; i++)
                    {
                        // wrk's 2 s default timeout would drop MLflow's slowest answers from its count; 30 s keeps them.
                        results[i].Add(await Wrk.RunAsync(targets[i].Url, Connections, TimeSpan.FromSeconds(seconds), body.Json, script, CancellationToken.None, TimeSpan.FromSeconds(30)));
                    }
                }

                var baseline = mlflowName is null ? double.NaN : Median(results[targets.FindIndex(x => x.Name == mlflowName)].Select(r => r.RequestsPerSecond));
                for (var i = 0; i < targets.Count; i++)
                {
                    var rps = Median(results[i].Select(r => r.RequestsPerSecond));
                    var failed = results[i].Sum(r => r.Non2xx + r.SocketErrors);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {targets[i].Name} | {body.Name} | {rps:0} | {rps * body.Rows:0} | {(double.IsNaN(baseline) ? "-" : (rps / baseline).ToString("0.0", CultureInfo.InvariantCulture))} | {Median(results[i].Select(r => r.P50Ms)):0.00} | {Median(results[i].Select(r => r.P99Ms)):0.00} | {failed} |"));
                }
            }
        }
        finally
        {
            foreach (var process in started)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
                catch (InvalidOperationException)
                {
                }

                process.Dispose();
            }

            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<string> SaveOnnxAsync(string root)
    {
        using var linear = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(root, "linear.json")));
        var l = linear.RootElement;
        double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var columns = l.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToList();
        var bytes = OnnxLinearClassifier.Build(
            columns,
            Doubles(l.GetProperty("mean")),
            Doubles(l.GetProperty("scale")),
            l.GetProperty("coef").EnumerateArray().Select(Doubles).ToArray(),
            Doubles(l.GetProperty("intercept")),
            l.GetProperty("classes").EnumerateArray().Select(v => v.GetInt64()).ToArray());
        var folder = Path.Combine(root, "onnx");
        await OnnxFlavor.SaveAsync(folder, bytes, new ModelSaveOptions
        {
            Signature = new ModelSignature(ModelSchema.FromColumns(columns.Select(c => new ColumnSpec(DataType.Double, c))), null),
        });
        return folder;
    }

    private static async Task<WebApplication> StartAsync(string root, string name, string model, string? onnx, string python, int workers, bool? batching)
    {
        List<ServeModelSpec> models = [new ServeModelSpec("sklearn", model)];
        if (onnx is not null)
        {
            models.Add(new ServeModelSpec("onnx", onnx));
        }

        var app = await ServingHost.BuildAsync(
            new ServingHostOptions
            {
                Port = 0,
                Serving = new ServingOptions
                {
                    Models = models,
                    CacheDirectory = Path.Combine(root, "cache-" + name),
                    Batching = new BatchingOptions { Enabled = batching },
                    Python = new PythonWorkerOptions { Python = python, Workers = workers },
                },
            },
            builder => builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning).AddFilter("Strata.Serving", LogLevel.Warning));
        await app.StartAsync();
        return app;
    }

    private static async Task<(Process? Process, string Url, string Note)> StartMlflowAsync(string root, string python, string pythonPath, string model, int workers)
    {
        // mlflow models serve execs uvicorn (3.x) or gunicorn (2.x) by name; Debian may ship only their modules.
        var bin = Path.Combine(root, "bin");
        Directory.CreateDirectory(bin);
        foreach (var tool in new[] { "uvicorn", "gunicorn" })
        {
            var shim = Path.Combine(bin, tool);
            await File.WriteAllTextAsync(shim, $"#!/bin/sh\nexec {python} -m {tool} \"$@\"\n");
            MakeExecutable(shim);
        }

        var port = FreePort();
        var info = new ProcessStartInfo(python) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-m", "mlflow", "models", "serve", "-m", model, "--env-manager", "local", "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-w", workers.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["PYTHONPATH"] = pythonPath;
        info.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        var process = Process.Start(info)!;
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var url = $"http://127.0.0.1:{port}";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                using var ping = await http.GetAsync(url + "/ping");
                if (ping.IsSuccessStatusCode)
                {
                    return (process, url, "mlflow models serve started");
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(500);
        }

        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
        lock (log)
        {
            return (null, url, "mlflow models serve did not start; not measured:\n" + log);
        }
    }

    private static async Task RunToEndAsync(string file, string[] args, string? pythonPath)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        if (pythonPath is not null)
        {
            info.Environment["PYTHONPATH"] = pythonPath;
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        Console.Write(await process.StandardOutput.ReadToEndAsync());
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {await stderr}");
        }
    }

    private static void MakeExecutable(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static string Address(WebApplication app) => app.ListeningAddresses().First();
}
