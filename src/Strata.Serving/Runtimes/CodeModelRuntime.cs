using System.Runtime.CompilerServices;
using Strata.Core.Errors;
using Strata.Core.Models;
using Strata.Models;
using Strata.Serving.Models;

namespace Strata.Serving.Runtimes;

/// <summary>
/// Serves a code model (<c>dotnet_function</c> flavor): an <see cref="IStrataModel"/> loaded in its own collectible
/// <see cref="System.Runtime.Loader.AssemblyLoadContext"/>, plus the ML.NET / ONNX runtimes of the models it carries as
/// artifacts. Disposing it disposes the model and those runtimes and unloads the context; <see cref="LoadContext"/>
/// tells when the runtime has let it go.
/// </summary>
public sealed class CodeModelRuntime : IModelRuntime
{
    private readonly IReadOnlyDictionary<string, object?> _parameters;
    private readonly List<IModelRuntime> _artifactModels;
    private IStrataModel? _model;
    private CodeModelLoadContext? _context;
    private string? _deleteOnDispose;

    internal CodeModelRuntime(MlModel model, IStrataModel instance, CodeModelLoadContext context, List<IModelRuntime> artifactModels)
    {
        Model = model;
        _model = instance;
        _context = context;
        _artifactModels = artifactModels;
        LoadContext = new WeakReference(context, trackResurrection: true);
        InputSchema = model.Signature?.Inputs ?? throw MlflowException.InvalidParameter("A code model needs a signature with inputs.");
        OutputSchema = model.Signature.Outputs ?? ModelSchema.FromColumns([]);
        // The signature's declared params with their defaults: what a call without params reads, and what fills in the
        // params a caller left out.
        _parameters = (model.Signature.Params ?? []).ToDictionary(p => p.Name, p => p.Default, StringComparer.Ordinal);
    }

    public string Flavor => DotnetFunctionFlavor.Name;

    public MlModel Model { get; }

    public ModelSchema InputSchema { get; }

    public ModelSchema OutputSchema { get; }

    /// <summary>A code model's <c>PredictAsync(input, params)</c> gets the request's params.</summary>
    public bool TakesParams => true;

    /// <summary>The model's load context; no longer alive once the runtime is disposed and nothing else holds the model.</summary>
    public WeakReference LoadContext { get; }

    public ModelOutput Predict(ModelInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var model = Volatile.Read(ref _model) ?? throw new ObjectDisposedException(nameof(CodeModelRuntime));
        using var activity = ModelActivity.StartPredict(Flavor, input.RowCount);
        var enforced = SignatureEnforcer.Enforce(InputSchema, input);
        try
        {
            var pending = model.PredictAsync(enforced, ParametersFor(input.Params), CancellationToken.None);
            // Most models finish synchronously; the batcher's loop owns this thread, so waiting on the rest is fine.
            return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        }
        catch (ModelInputException e)
        {
            throw MlflowException.InvalidParameter(e.Message);
        }
    }

    /// <summary>
    /// The params of one call: the given ones (already checked against the signature when they come from a request)
    /// with the declared defaults for any left out; the defaults alone when none were given.
    /// </summary>
    private IReadOnlyDictionary<string, object?> ParametersFor(IReadOnlyDictionary<string, object?>? given)
    {
        if (given is null || ReferenceEquals(given, _parameters))
        {
            return _parameters;
        }

        var complete = true;
        foreach (var name in _parameters.Keys)
        {
            if (!given.ContainsKey(name))
            {
                complete = false;
                break;
            }
        }

        if (complete)
        {
            return given;
        }

        var merged = new Dictionary<string, object?>(_parameters, StringComparer.Ordinal);
        foreach (var (name, value) in given)
        {
            merged[name] = value;
        }

        return merged;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Dispose()
    {
        var model = Interlocked.Exchange(ref _model, null);
        if (model is null)
        {
            return;
        }

        try
        {
            switch (model)
            {
                case IAsyncDisposable asyncDisposable:
                    asyncDisposable.DisposeAsync().AsTask().GetAwaiter().GetResult();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
        finally
        {
            foreach (var runtime in _artifactModels)
            {
                runtime.Dispose();
            }

            _artifactModels.Clear();
            _context?.Unload();
            _context = null;
            if (_deleteOnDispose is { } folder)
            {
                TryDelete(folder);
            }
        }
    }

    /// <summary>Removes a temporary copy of the model folder once the model is unloaded (its dependencies load lazily from it).</summary>
    internal void DeleteOnDispose(string folder) => _deleteOnDispose = folder;

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>A model carried by a code model, as the code model sees it: the host runtime behind the contract.</summary>
internal sealed class ArtifactModel(IModelRuntime runtime) : IArtifactModel
{
    public string Flavor => runtime.Flavor;

    public ModelSchema InputSchema => runtime.InputSchema;

    public ModelSchema OutputSchema => runtime.OutputSchema;

    public ModelOutput Predict(ModelInput input) => runtime.Predict(input);
}
