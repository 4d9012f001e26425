using System.Diagnostics;
using System.Text.Json;
using Strata.Serving.Batching;
using Strata.Serving.Hosting;
using Strata.Serving.Python;
using Strata.Serving.Tests.Serving;

namespace Strata.Serving.Tests.Python;

/// <summary>
/// python_function models written by <c>TestData/python/make_models.py</c> (a custom loader_module model, a pickled
/// scikit-learn pipeline, a tensor model, a model that raises, a slow one), what each answers when called in Python,
/// and two running servers over them with two workers each: batching off and batching on. Python 3 with numpy, pandas
/// and scikit-learn is required (test.sh installs Debian's packages); without them the fixture fails and says so.
/// </summary>
public sealed class PythonModelsFixture : IAsyncLifetime
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("strata-pymodels-").FullName;

    public JsonElement Expected { get; private set; }

    public ServingTestHost Plain { get; private set; } = null!;

    public ServingTestHost Batched { get; private set; } = null!;

    /// <summary>
    /// The interpreter the tests run workers with: <c>STRATA_TEST_PYTHON</c>, else Debian's <c>/usr/bin/python3</c> (the
    /// one the apt packages serve; a pyenv <c>python3</c> earlier on PATH may not see them), else <c>python3</c>.
    /// </summary>
    public static string Interpreter =>
        Environment.GetEnvironmentVariable("STRATA_TEST_PYTHON") is { Length: > 0 } chosen ? chosen
        : File.Exists("/usr/bin/python3") ? "/usr/bin/python3"
        : "python3";

    public string PathOf(string model) => System.IO.Path.Combine(Directory, model);

    public async Task InitializeAsync()
    {
        var script = System.IO.Path.Combine(AppContext.BaseDirectory, "TestData", "python", "make_models.py");
        var info = new ProcessStartInfo(Interpreter) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(Directory);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                $"The Python worker tests need a Python 3 interpreter ('{Interpreter}' could not start: {e.Message}). test.sh installs python3, python3-numpy, python3-pandas and python3-sklearn.");
        }

        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"make_models.py failed under {Interpreter} (exit {process.ExitCode}); the Python worker tests need python3 with numpy, pandas and scikit-learn: {await stderr}");
            }
        }

        Expected = JsonDocument.Parse(await File.ReadAllTextAsync(PathOf("expected.json"))).RootElement.Clone();
        Plain = await ServingTestHost.StartAsync(Options(batching: false));
        Batched = await ServingTestHost.StartAsync(Options(batching: true));
    }

    public static PythonWorkerOptions Workers(int count = 2) => new() { Python = Interpreter, Workers = count };

    public ServingOptions Options(bool batching) => new()
    {
        Models =
        [
            new ServeModelSpec("custom", PathOf("custom")),
            new ServeModelSpec("frame", PathOf("frame")),
            new ServeModelSpec("tensor", PathOf("tensor")),
            new ServeModelSpec("sklearn", PathOf("sklearn")),
            new ServeModelSpec("raising", PathOf("raising")),
            new ServeModelSpec("params", PathOf("params")),
            new ServeModelSpec("echo", PathOf("echo")),
            new ServeModelSpec("nosig", PathOf("nosig")),
        ],
        Batching = new BatchingOptions { Enabled = batching, MaxBatchSize = 64, MaxDelay = TimeSpan.FromMilliseconds(5) },
        Python = Workers(),
    };

    public async Task DisposeAsync()
    {
        if (Plain is not null)
        {
            await Plain.DisposeAsync();
        }

        if (Batched is not null)
        {
            await Batched.DisposeAsync();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PythonModelsCollection : ICollectionFixture<PythonModelsFixture>
{
    public const string Name = "python-models";
}
