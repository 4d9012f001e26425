using System.Collections;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Strata.Core.Errors;
using Strata.Core.Models;
using Strata.Serving.Models;
using Strata.Serving.Protocols;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Python;

/// <summary>
/// Loads a model's <c>python_function</c> flavor into Python workers, then warms it up with the model's
/// <c>serving_input_example.json</c> (when it has one): the load, and so the route's readiness, succeeds only once
/// that call has been answered.
/// </summary>
public sealed class PythonFlavorLoader(PythonWorkerOptions options, TimeSpan requestTimeout, ILoggerFactory loggerFactory)
    : IAsyncModelFlavorLoader
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Strata.Serving.Python.PythonWorker");

    public string Flavor => PythonModelRuntime.FlavorName;

    /// <summary>Where the worker script is written out.</summary>
    public string ScriptDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "strata-python");

    public IModelRuntime Load(string folder, MlModel model) => LoadAsync(folder, model, CancellationToken.None).GetAwaiter().GetResult();

    public async Task<IModelRuntime> LoadAsync(string folder, MlModel model, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(model);
        options.Validate();
        // Without an input signature nothing is enforced: requests are parsed with their own column names and types
        // inferred from the values, as mlflow models serve does (an empty schema tells the serving layer so).
        var inputs = model.Signature?.Inputs ?? ModelSchema.FromColumns([]);
        var outputs = model.Signature?.Outputs ?? ModelSchema.FromColumns([]);
        folder = Path.GetFullPath(folder);
        var launch = new PythonWorkerLaunch(options.Python, WorkerScript.Extract(ScriptDirectory), folder, FlavorJson(model), Path.GetFileName(folder));
        var pool = await PythonWorkerPool.StartAsync(launch, options, options.CallTimeout ?? requestTimeout, _logger, ct).ConfigureAwait(false);
        var runtime = new PythonModelRuntime(model, inputs, outputs, pool);
        try
        {
            await WarmUpAsync(folder, runtime, options.StartTimeout, ct).ConfigureAwait(false);
        }
        catch
        {
            await runtime.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return runtime;
    }

    /// <summary>One call with the serving input example, parsed the way a request is: a model that cannot answer it is not ready.</summary>
    private static async Task WarmUpAsync(string folder, PythonModelRuntime runtime, TimeSpan timeout, CancellationToken ct)
    {
        var file = Path.Combine(folder, InputExampleWriter.ServingExampleFile);
        if (!File.Exists(file))
        {
            return;
        }

        var body = await File.ReadAllBytesAsync(file, ct).ConfigureAwait(false);
        try
        {
            var request = InvocationParser.ParseJson(body, InputLayout.For(runtime), runtime.Model.Signature?.Params);
            await runtime.PredictAsync(request.Input, timeout, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is MlflowException or ModelFailedException)
        {
            var trace = (e as ModelFailedException)?.ModelStackTrace;
            throw new MlflowException(ErrorCode.INVALID_PARAMETER_VALUE,
                $"The warm-up call with the model's {InputExampleWriter.ServingExampleFile} failed: {e.Message}"
                + (trace is null ? "" : Environment.NewLine + trace), e);
        }
    }

    /// <summary>The python_function flavor's settings for the worker, plus what it needs from the sklearn flavor to load without MLflow.</summary>
    internal static string FlavorJson(MlModel model)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            foreach (var (key, value) in model.Flavor(PythonModelRuntime.FlavorName) ?? new Dictionary<string, object?>())
            {
                w.WritePropertyName(key);
                WriteValue(w, value);
            }

            if (model.Signature?.Inputs is null)
            {
                // Tells the worker that table columns named 0, 1, ... were numbered by position (a dataframe_split
                // without columns), so the DataFrame gets pandas' integer column labels, as mlflow models serve builds it.
                w.WriteBoolean("strata_no_signature", true);
            }

            if (model.Flavor("sklearn") is { } sklearn && sklearn.TryGetValue("serialization_format", out var format) && format is string text)
            {
                w.WriteString("serialization_format", text);
            }

            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteValue(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null:
                w.WriteNullValue();
                break;
            case string s:
                w.WriteStringValue(s);
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case int or long or short or byte:
                w.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case float or double or decimal:
                w.WriteNumberValue(Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            case IEnumerable<KeyValuePair<string, object?>> map:
                w.WriteStartObject();
                foreach (var (k, v) in map)
                {
                    w.WritePropertyName(k);
                    WriteValue(w, v);
                }

                w.WriteEndObject();
                break;
            case IEnumerable list:
                w.WriteStartArray();
                foreach (var item in list)
                {
                    WriteValue(w, item);
                }

                w.WriteEndArray();
                break;
            default:
                w.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
