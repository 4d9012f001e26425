using Microsoft.ML;
using Strata.Core.Models;
using Strata.Serving.Batching;
using Strata.Serving.Hosting;
using Strata.Serving.Models;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Tests.Serving;

/// <summary>
/// Tiny models saved as MLflow folders (an ML.NET regression over three float columns, an ML.NET classifier over a
/// 4-wide vector, the regression exported to ONNX), their runtimes loaded directly (the reference answers), and two
/// running scoring servers over them: batching off and batching on.
/// </summary>
public sealed class ServingFixture : IAsyncLifetime
{
    public const string Houses = "houses";
    public const string Sensors = "sensors";
    public const string HousesOnnx = "houses-onnx";

    public TrainedModels Models { get; } = new();

    public string HousesPath { get; private set; } = "";

    public string SensorsPath { get; private set; } = "";

    public string HousesOnnxPath { get; private set; } = "";

    public Dictionary<string, IModelRuntime> Direct { get; } = [];

    public ServingTestHost Plain { get; private set; } = null!;

    public ServingTestHost Batched { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        HousesPath = Models.NewPath(Houses);
        await MlnetFlavor.SaveAsync(HousesPath, Models.Ml, Models.Regression, Models.HouseSchema);
        SensorsPath = Models.NewPath(Sensors);
        await MlnetFlavor.SaveAsync(SensorsPath, Models.Ml, Models.Classifier, Models.SensorSchema);
        HousesOnnxPath = Models.NewPath(HousesOnnx);
        var houseInputs = Models.Ml.Data.LoadFromEnumerable(Models.Houses.Take(10).Select(h => new HouseInput { Size = h.Size, Rooms = h.Rooms, Age = h.Age }));
        await MlnetOnnxExport.SaveAsOnnxAsync(HousesOnnxPath, Models.Ml, Models.Regression, houseInputs);

        var loader = new ModelRuntimeLoader();
        Direct[Houses] = await loader.LoadAsync(HousesPath);
        Direct[Sensors] = await loader.LoadAsync(SensorsPath);
        Direct[HousesOnnx] = await loader.LoadAsync(HousesOnnxPath);

        Plain = await ServingTestHost.StartAsync(Options(batching: false));
        Batched = await ServingTestHost.StartAsync(Options(batching: true));
    }

    public ServingOptions Options(bool batching) => new()
    {
        Models =
        [
            new ServeModelSpec(Houses, HousesPath),
            new ServeModelSpec(Sensors, SensorsPath),
            new ServeModelSpec(HousesOnnx, HousesOnnxPath),
        ],
        Batching = new BatchingOptions { Enabled = batching, MaxBatchSize = 32, MaxDelay = TimeSpan.FromMilliseconds(5) },
    };

    /// <summary>The first <paramref name="count"/> houses as columns, scored by the runtime directly.</summary>
    public float[] ExpectedPrices(string model, int count)
    {
        var rows = Models.Houses.Take(count).ToList();
        var input = new ModelInput(
            ModelTensor.Column("Size", rows.Select(r => r.Size).ToArray()),
            ModelTensor.Column("Rooms", rows.Select(r => r.Rooms).ToArray()),
            ModelTensor.Column("Age", rows.Select(r => r.Age).ToArray()));
        var output = Direct[model].Predict(input);
        return ((ModelTensor<float>)output.Tensors[0]).Span.ToArray();
    }

    public ModelOutput ExpectedAlarms(int count)
    {
        var rows = Models.Sensors.Take(count).ToList();
        return Direct[Sensors].Predict(new ModelInput(ModelTensor.Create<float>("Features", rows.SelectMany(r => r.Features).ToArray(), rows.Count, 4)));
    }

    public async Task DisposeAsync()
    {
        await Plain.DisposeAsync();
        await Batched.DisposeAsync();
        foreach (var runtime in Direct.Values)
        {
            runtime.Dispose();
        }

        Models.Dispose();
    }
}
