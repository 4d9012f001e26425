using System.Buffers;
using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Strata.Core.Errors;

namespace Strata.Serving.Python;

/// <summary>What starts a worker: the interpreter, the worker script, the model folder and its flavor settings.</summary>
internal sealed record PythonWorkerLaunch(string Python, string Script, string ModelFolder, string FlavorJson, string ModelName);

/// <summary>
/// One worker process and its pipes. It scores one call at a time (the pool never hands it a second before the first
/// answered); a call that outlives its timeout kills the process, which fails the call and ends the worker.
/// </summary>
internal sealed partial class PythonWorker : IAsyncDisposable
{
    private const int StderrLinesKept = 30;

    private readonly Process _process;
    private readonly Stream _input;
    private readonly Stream _output;
    private readonly ILogger _logger;
    private readonly Queue<string> _stderr = new();
    private readonly ArrayBufferWriter<byte> _frame = new(4096);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextId;
    private int _killedForTimeout;

    private PythonWorker(Process process, ILogger logger)
    {
        _process = process;
        _logger = logger;
        _input = process.StandardInput.BaseStream;
        _output = process.StandardOutput.BaseStream;
        Pid = process.Id;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (_stderr)
            {
                _stderr.Enqueue(e.Data);
                if (_stderr.Count > StderrLinesKept)
                {
                    _stderr.Dequeue();
                }
            }

            LogStderr(_logger, Pid, e.Data);
        };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => _exited.TrySetResult();
        process.BeginErrorReadLine();
        if (process.HasExited)
        {
            _exited.TrySetResult();
        }
    }

    public int Pid { get; }

    /// <summary>How the worker loaded the model: <c>mlflow</c>, <c>python_function</c> or <c>pickle</c>.</summary>
    public string Loader { get; private set; } = "";

    /// <summary>Completes when the process has exited (crashed, killed, or stopped).</summary>
    public Task Exited => _exited.Task;

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>Starts a worker and waits until it has loaded the model (or failed to).</summary>
    public static async Task<PythonWorker> StartAsync(PythonWorkerLaunch launch, TimeSpan timeout, ILogger logger, CancellationToken ct)
    {
        var info = new ProcessStartInfo(launch.Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = launch.ModelFolder,
        };
        info.ArgumentList.Add("-u");
        info.ArgumentList.Add(launch.Script);
        info.ArgumentList.Add(launch.ModelFolder);
        info.ArgumentList.Add(launch.FlavorJson);
        info.Environment["PYTHONUNBUFFERED"] = "1";
        // Each worker is one of N processes scoring in parallel: numeric libraries that spread one call over every
        // core would fight each other, so they get one thread each unless the user chose otherwise.
        foreach (var variable in new[] { "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS" })
        {
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
            {
                info.Environment[variable] = "1";
            }
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("Process.Start returned no process.");
        }
        catch (Win32Exception e)
        {
            throw MlflowException.InvalidParameter(
                $"Could not start the Python interpreter '{launch.Python}' (--python) for model '{launch.ModelName}': {e.Message}.");
        }

        var worker = new PythonWorker(process, logger);
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(timeout);
            WorkerReply? ready;
            try
            {
                ready = await WorkerFrames.ReadAsync(worker._output, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new MlflowException(ErrorCode.INTERNAL_ERROR,
                    $"The Python worker for model '{launch.ModelName}' did not load it within {timeout.TotalSeconds:0.#} s.{worker.StderrTail()}");
            }

            if (ready is null)
            {
                await worker.WaitExitAsync().ConfigureAwait(false);
                throw new MlflowException(ErrorCode.INTERNAL_ERROR,
                    $"The Python worker for model '{launch.ModelName}' exited before loading it (exit code {worker.ExitCode()}).{worker.StderrTail()}");
            }

            if (!ready.Ok)
            {
                throw new MlflowException(ErrorCode.INVALID_PARAMETER_VALUE,
                    $"The Python worker could not load model '{launch.ModelName}' with {launch.Python}: {ready.Message}"
                    + (ready.StackTrace is { } trace ? Environment.NewLine + trace : ""));
            }

            worker.Loader = ready.Header.TryGetProperty("loader"u8, out var how) ? how.GetString() ?? "" : "";
            return worker;
        }
        catch
        {
            await worker.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Sends one frame written by <paramref name="write"/> (given the call id) and returns the answer. Past
    /// <paramref name="timeout"/> the process is killed; the call then fails with 504 and the worker is finished.
    /// </summary>
    public async Task<WorkerReply> CallAsync(Action<ArrayBufferWriter<byte>, long> write, TimeSpan timeout)
    {
        var id = ++_nextId;
        _frame.ResetWrittenCount();
        write(_frame, id);
        using var timer = new CancellationTokenSource(timeout);
        await using var kill = timer.Token.UnsafeRegister(static state => ((PythonWorker)state!).KillForTimeout(), this).ConfigureAwait(false);
        WorkerReply? reply;
        try
        {
            await _input.WriteAsync(_frame.WrittenMemory).ConfigureAwait(false);
            await _input.FlushAsync().ConfigureAwait(false);
            reply = await WorkerFrames.ReadAsync(_output, CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException) when (Volatile.Read(ref _killedForTimeout) == 0)
        {
            reply = null;
        }
        catch (Exception) when (Volatile.Read(ref _killedForTimeout) == 1)
        {
            reply = null;
        }
        catch (InvalidDataException e)
        {
            Kill();
            throw new MlflowException(ErrorCode.INTERNAL_ERROR, $"The Python worker (pid {Pid}) broke the protocol: {e.Message}; it is being replaced.");
        }

        if (Volatile.Read(ref _killedForTimeout) == 1)
        {
            throw new MlflowException(ErrorCode.DEADLINE_EXCEEDED,
                $"The model took longer than {timeout.TotalSeconds:0.###} s; its Python worker (pid {Pid}) was stopped and is being replaced.");
        }

        if (reply is null)
        {
            await WaitExitAsync().ConfigureAwait(false);
            throw new MlflowException(ErrorCode.INTERNAL_ERROR,
                $"The Python worker (pid {Pid}) exited while scoring (exit code {ExitCode()}); it is being replaced.{StderrTail()}");
        }

        if (reply.Header.TryGetProperty("id"u8, out var answered) && answered.ValueKind == System.Text.Json.JsonValueKind.Number && answered.GetInt64() != id)
        {
            Kill();
            throw new MlflowException(ErrorCode.INTERNAL_ERROR, $"The Python worker (pid {Pid}) answered call {answered.GetInt64()} instead of {id}; it is being replaced.");
        }

        return reply;
    }

    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (Win32Exception)
        {
        }
    }

    /// <summary>Closes the worker's stdin (it exits on its own), and kills it if it has not within a short grace period.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            _input.Dispose();
        }
        catch (IOException)
        {
        }

        if (await Task.WhenAny(_exited.Task, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false) != _exited.Task)
        {
            Kill();
            await Task.WhenAny(_exited.Task, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        }

        _process.Dispose();
    }

    private void KillForTimeout()
    {
        Volatile.Write(ref _killedForTimeout, 1);
        Kill();
    }

    private async Task WaitExitAsync() =>
        await Task.WhenAny(_exited.Task, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);

    private string ExitCode()
    {
        try
        {
            return _process.HasExited ? _process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unknown";
        }
        catch (InvalidOperationException)
        {
            return "unknown";
        }
    }

    private string StderrTail()
    {
        lock (_stderr)
        {
            return _stderr.Count == 0 ? "" : " Its last output:" + Environment.NewLine + string.Join(Environment.NewLine, _stderr);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "[python worker {Pid}] {Line}")]
    private static partial void LogStderr(ILogger logger, int pid, string line);
}
