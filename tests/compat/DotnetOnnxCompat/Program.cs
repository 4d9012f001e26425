// Manual cross-language check of the onnx flavor against a running Strata server (see ../README.md):
//   dotnet run --project tests/compat/DotnetOnnxCompat -- <tracking uri> <output dir> [python registered model name]
// 1. Loads the model Python registered (models:/<name>@champion) and prints its predictions.
// 2. Logs two onnx models from .NET, registered with alias champion: "dotnet-linear" (the linear graph's bytes,
//    written by Strata's onnx flavor writer) and "dotnet-mlnet-sdca" (an ML.NET SDCA regression exported to ONNX
//    by LogOnnxModelAsync). For each, writes <output dir>/<name>.json with the inputs and the .NET predictions,
//    for python_onnx_roundtrip.py check.
using System.Text.Json;
using Microsoft.ML;
using Strata.Client;
using Strata.Client.Models;
using Strata.Models;
using Strata.Core.Models;
using Strata.Serving.Models;

var uri = new Uri(args[0]);
var output = Directory.CreateDirectory(args[1]).FullName;
var pythonName = args.Length > 2 ? args[2] : "py-linear";
using var client = StrataClient.Create(new StrataClientOptions { TrackingUri = uri });

float[] x = [1, 2, 3, 0, 0, 0, -1.5f, 4, 0.25f, 10, -3, 7.5f];
float[][] Rows(float[] flat, int width) => flat.Chunk(width).ToArray();

// 1. Python -> .NET
using (var python = await client.LoadModelAsync($"models:/{pythonName}@champion"))
{
    var y = (ModelTensor<float>)python.Predict(new ModelInput(ModelTensor.Create<float>("X", x, 4, 3)))["y"];
    Console.WriteLine($"models:/{pythonName}@champion ({python.Flavor}) predicts [{string.Join(", ", y.Span.ToArray())}]");
}

// 2a. The linear graph, written by OnnxFlavor.SaveAsync.
var onnxBytes = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "model.onnx"));
await using (var run = await client.StartRunAsync("dotnet-onnx-compat"))
{
    var logged = await client.LogModelFolderAsync(
        new LogModelRequest { SourceRunId = run.RunId, Name = "linear", ModelType = OnnxFlavor.Name, RegisteredModelName = "dotnet-linear" },
        (model, folder, ct) => OnnxFlavor.SaveAsync(folder, onnxBytes,
            new ModelSaveOptions { RunId = run.RunId, ArtifactPath = model.Info.ArtifactUri, ModelId = model.Info.ModelId }, cancellationToken: ct));
    await client.SetRegisteredModelAliasAsync("dotnet-linear", "champion", logged.RegisteredVersion!.Version);
    using var runtime = await client.LoadModelAsync("models:/dotnet-linear@champion");
    var y = (ModelTensor<float>)runtime.Predict(new ModelInput(ModelTensor.Create<float>("X", x, 4, 3)))["y"];
    await Write("dotnet-linear", Rows(x, 3), y.Span.ToArray(), 1);
}

// 2b. An ML.NET linear regression logged with LogOnnxModelAsync.
var ml = new MLContext(seed: 3);
var random = new Random(9);
var houses = Enumerable.Range(0, 200).Select(_ =>
{
    var size = (float)(random.NextDouble() * 200 + 30);
    var rooms = (float)random.Next(1, 7);
    var age = (float)(random.NextDouble() * 80);
    return new House { Size = size, Rooms = rooms, Age = age, Label = (size * 3) + (rooms * 20) - age + (float)random.NextDouble() };
}).ToList();
var trained = ml.Transforms.Concatenate("Features", nameof(House.Size), nameof(House.Rooms), nameof(House.Age))
    .Append(ml.Transforms.NormalizeMinMax("Features"))
    .Append(ml.Regression.Trainers.Sdca(maximumNumberOfIterations: 50))
    .Fit(ml.Data.LoadFromEnumerable(houses));
var inputs = houses.Take(5).Select(h => new HouseInput { Size = h.Size, Rooms = h.Rooms, Age = h.Age }).ToList();
await using (var run = await client.StartRunAsync("dotnet-onnx-compat"))
{
    var logged = await run.LogOnnxModelAsync(ml, trained, ml.Data.LoadFromEnumerable(inputs),
        new LogModelOptions { Name = "sdca", RegisteredModelName = "dotnet-mlnet-sdca" });
    await client.SetRegisteredModelAliasAsync("dotnet-mlnet-sdca", "champion", logged.RegisteredVersion!.Version);
    using var runtime = await client.LoadModelAsync("models:/dotnet-mlnet-sdca@champion");
    int[] shape = [inputs.Count, 1];
    var result = runtime.Predict(new ModelInput(
        ModelTensor.Create<float>("Size", inputs.Select(i => i.Size).ToArray(), shape),
        ModelTensor.Create<float>("Rooms", inputs.Select(i => i.Rooms).ToArray(), shape),
        ModelTensor.Create<float>("Age", inputs.Select(i => i.Age).ToArray(), shape)));
    var score = (ModelTensor<float>)result["Score.output"];
    var engine = ml.Model.CreatePredictionEngine<HouseInput, Price>(trained);
    Console.WriteLine($"ML.NET itself: [{string.Join(", ", inputs.Select(i => engine.Predict(i).Score))}]");
    await Write("dotnet-mlnet-sdca", inputs.Select(i => new[] { i.Size, i.Rooms, i.Age }).ToArray(), score.Span.ToArray(), 1,
        ["Size", "Rooms", "Age"]);
}

async Task Write(string name, float[][] rows, float[] predictions, int width, string[]? columns = null)
{
    Console.WriteLine($"models:/{name}@champion (.NET ONNX Runtime) predicts [{string.Join(", ", predictions)}]");
    var doc = new Dictionary<string, object?>
    {
        ["model_uri"] = $"models:/{name}@champion",
        ["inputs"] = rows,
        ["columns"] = columns,
        ["predictions"] = predictions.Chunk(width).ToArray(),
    };
    await File.WriteAllTextAsync(Path.Combine(output, name + ".json"), JsonSerializer.Serialize(doc));
}

internal sealed class House
{
    public float Size { get; set; }

    public float Rooms { get; set; }

    public float Age { get; set; }

    public float Label { get; set; }
}

internal sealed class HouseInput
{
    public float Size { get; set; }

    public float Rooms { get; set; }

    public float Age { get; set; }
}

internal sealed class Price
{
    public float Score { get; set; }
}
