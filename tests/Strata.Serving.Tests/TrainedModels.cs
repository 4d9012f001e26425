using Microsoft.ML;
using Microsoft.ML.Data;

namespace Strata.Serving.Tests;

public sealed class HouseRow
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

public sealed class PriceOutput
{
    public float Score { get; set; }
}

public sealed class RentRow
{
    public string City { get; set; } = "";

    public float Size { get; set; }

    public bool Furnished { get; set; }

    public float Label { get; set; }
}

public sealed class RentInput
{
    public string City { get; set; } = "";

    public float Size { get; set; }

    public bool Furnished { get; set; }
}

public sealed class SensorRow
{
    [VectorType(4)]
    public float[] Features { get; set; } = [];

    public bool Label { get; set; }
}

public sealed class SensorInput
{
    [VectorType(4)]
    public float[] Features { get; set; } = [];
}

public sealed class AlarmOutput
{
    public bool PredictedLabel { get; set; }

    public float Score { get; set; }

    public float Probability { get; set; }
}

/// <summary>
/// Two tiny models trained once per test class on synthetic data: a FastTree regression over three scalar columns
/// (a column-based signature) and a FastTree binary classifier over a 4-wide vector (a tensor-based signature).
/// </summary>
public sealed class TrainedModels : IDisposable
{
    public TrainedModels()
    {
        Ml = new MLContext(seed: 7);
        var random = new Random(11);
        Houses = Enumerable.Range(0, 300).Select(_ =>
        {
            var size = (float)(random.NextDouble() * 200 + 30);
            var rooms = random.Next(1, 7);
            var age = (float)(random.NextDouble() * 80);
            return new HouseRow { Size = size, Rooms = rooms, Age = age, Label = (size * 3) + (rooms * 20) - age + (float)(random.NextDouble() * 10) };
        }).ToList();
        var houseData = Ml.Data.LoadFromEnumerable(Houses);
        Regression = Ml.Transforms.Concatenate("Features", nameof(HouseRow.Size), nameof(HouseRow.Rooms), nameof(HouseRow.Age))
            .Append(Ml.Regression.Trainers.FastTree(numberOfLeaves: 8, numberOfTrees: 30, minimumExampleCountPerLeaf: 5))
            .Fit(houseData);
        HouseSchema = houseData.Schema;

        Sensors = Enumerable.Range(0, 300).Select(_ =>
        {
            var f = Enumerable.Range(0, 4).Select(_ => (float)random.NextDouble()).ToArray();
            return new SensorRow { Features = f, Label = f[0] + (0.5f * f[1]) - f[3] + ((float)random.NextDouble() * 0.2f) > 0.4f };
        }).ToList();
        var sensorData = Ml.Data.LoadFromEnumerable(Sensors);
        Classifier = Ml.BinaryClassification.Trainers.FastTree(numberOfLeaves: 8, numberOfTrees: 30, minimumExampleCountPerLeaf: 5)
            .Fit(sensorData);
        SensorSchema = sensorData.Schema;

        Root = Directory.CreateTempSubdirectory("strata-models-").FullName;
        _rent = new Lazy<(ITransformer, DataViewSchema, List<RentRow>)>(TrainRent);
    }

    private readonly Lazy<(ITransformer Model, DataViewSchema Schema, List<RentRow> Rows)> _rent;

    /// <summary>A regression over a text, a float and a bool column (trained on first use).</summary>
    public (ITransformer Model, DataViewSchema Schema, List<RentRow> Rows) Rent => _rent.Value;

    private (ITransformer, DataViewSchema, List<RentRow>) TrainRent()
    {
        var random = new Random(5);
        string[] cities = ["Oslo", "Lyon", "Kraków", "Porto"];
        var rows = Enumerable.Range(0, 200).Select(i =>
        {
            var city = cities[i % cities.Length];
            var size = (float)(random.NextDouble() * 100 + 20);
            var furnished = random.Next(2) == 1;
            return new RentRow { City = city, Size = size, Furnished = furnished, Label = (size * 10) + (Array.IndexOf(cities, city) * 100) + (furnished ? 50 : 0) };
        }).ToList();
        var data = Ml.Data.LoadFromEnumerable(rows);
        var model = Ml.Transforms.Categorical.OneHotEncoding("CityKey", nameof(RentRow.City))
            .Append(Ml.Transforms.Conversion.ConvertType("FurnishedF", nameof(RentRow.Furnished), Microsoft.ML.Data.DataKind.Single))
            .Append(Ml.Transforms.Concatenate("Features", "CityKey", nameof(RentRow.Size), "FurnishedF"))
            .Append(Ml.Regression.Trainers.FastTree(numberOfLeaves: 4, numberOfTrees: 20, minimumExampleCountPerLeaf: 5))
            .Fit(data);
        return (model, data.Schema, rows);
    }

    public MLContext Ml { get; }

    public List<HouseRow> Houses { get; }

    public ITransformer Regression { get; }

    public DataViewSchema HouseSchema { get; }

    public List<SensorRow> Sensors { get; }

    public ITransformer Classifier { get; }

    public DataViewSchema SensorSchema { get; }

    /// <summary>A temp folder for this fixture's model folders, removed at the end.</summary>
    public string Root { get; }

    public string NewPath(string name) => Path.Combine(Root, $"{name}-{Guid.NewGuid():N}");

    /// <summary>The houses as ML.NET's own prediction engine scores them (the reference).</summary>
    public float[] ReferencePrices(int count)
    {
        var engine = Ml.Model.CreatePredictionEngine<HouseInput, PriceOutput>(Regression);
        return Houses.Take(count).Select(h => engine.Predict(new HouseInput { Size = h.Size, Rooms = h.Rooms, Age = h.Age }).Score).ToArray();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
