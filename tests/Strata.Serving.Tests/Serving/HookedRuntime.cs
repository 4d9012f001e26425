using Strata.Core.Models;
using Strata.Serving.Models;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Tests.Serving;

/// <summary>A real ML.NET runtime with a hook run before each prediction (to make the model slow or throw).</summary>
internal sealed class HookedRuntime(IModelRuntime inner, Action hook) : IModelRuntime
{
    public string Flavor => inner.Flavor;

    public MlModel Model => inner.Model;

    public ModelSchema InputSchema => inner.InputSchema;

    public ModelSchema OutputSchema => inner.OutputSchema;

    public ModelOutput Predict(ModelInput input)
    {
        hook();
        return inner.Predict(input);
    }

    public void Dispose() => inner.Dispose();
}

/// <summary>Loads the <c>mlnet</c> flavor and wraps each runtime in a <see cref="HookedRuntime"/>.</summary>
internal sealed class HookedMlnetLoader(Action hook) : IModelFlavorLoader
{
    public string Flavor => MlnetFlavor.Name;

    public IModelRuntime Load(string folder, MlModel model) => new HookedRuntime(MlnetFlavor.Load(folder, model), hook);
}
