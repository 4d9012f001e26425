using Microsoft.ML;
using Strata.Serving.Models;

namespace Strata.Bench.Serving;

/// <summary>A small FastTree regression over three float columns, saved as an mlnet model and exported to ONNX.</summary>
internal sealed class BenchModels
{
    public sealed class House
    {
        public float Size { get; set; }

        public float Rooms { get; set; }

        public float Age { get; set; }

        public float Label { get; set; }
    }

    public sealed class HouseInput
    {
        public float Size { get; set; }

        public float Rooms { get; set; }

        public float Age { get; set; }
    }

    public required string MlnetPath { get; init; }

    public required string OnnxPath { get; init; }

    /// <summary>A code model (dotnet_function) wrapping the ML.NET model.</summary>
    public required string CodePath { get; init; }

    public static async Task<BenchModels> CreateAsync(string root)
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(3);
        var rows = Enumerable.Range(0, 1000).Select(_ =>
        {
            var size = (float)(random.NextDouble() * 200 + 30);
            var rooms = random.Next(1, 7);
            var age = (float)(random.NextDouble() * 80);
            return new House { Size = size, Rooms = rooms, Age = age, Label = (size * 3) + (rooms * 20) - age };
        }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.Concatenate("Features", nameof(House.Size), nameof(House.Rooms), nameof(House.Age))
            .Append(ml.Regression.Trainers.FastTree(numberOfLeaves: 16, numberOfTrees: 50))
            .Fit(data);
        var models = new BenchModels
        {
            MlnetPath = Path.Combine(root, "houses-mlnet"),
            OnnxPath = Path.Combine(root, "houses-onnx"),
            CodePath = Path.Combine(root, "houses-code"),
        };
        await MlnetFlavor.SaveAsync(models.MlnetPath, ml, model, data.Schema);
        var inputs = ml.Data.LoadFromEnumerable(rows.Take(10).Select(r => new HouseInput { Size = r.Size, Rooms = r.Rooms, Age = r.Age }));
        await MlnetOnnxExport.SaveAsOnnxAsync(models.OnnxPath, ml, model, inputs);
        await DotnetFunctionFlavor.SaveAsync(models.CodePath, new Strata.Serving.Models.CodeModel
        {
            ModelType = typeof(Strata.Bench.CodeModel.HousePriceModel),
            Artifacts = new Dictionary<string, string> { ["regressor"] = models.MlnetPath },
        });
        return models;
    }
}
