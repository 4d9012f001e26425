using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Strata.Client.Datasets;
using Strata.Core.Models;

namespace Strata.Examples.Training;

public sealed class Sample
{
    public const int FeatureCount = 30;

    [VectorType(FeatureCount)]
    public float[] Features { get; set; } = [];

    public bool Label { get; set; }
}

public sealed class Prediction
{
    public bool PredictedLabel { get; set; }

    public float Score { get; set; }
}

/// <summary>Reads scikit-learn's breast_cancer.csv (see data/README.md) and splits it reproducibly.</summary>
public static class BreastCancerData
{
    /// <summary>scikit-learn's feature names, in file order.</summary>
    public static readonly IReadOnlyList<string> FeatureNames = BuildNames();

    public static IReadOnlyList<Sample> Load(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        var rows = int.Parse(header[0], CultureInfo.InvariantCulture);
        var features = int.Parse(header[1], CultureInfo.InvariantCulture);
        if (features != Sample.FeatureCount || lines.Length - 1 != rows)
        {
            throw new InvalidDataException($"{path}: expected {Sample.FeatureCount} features and {rows} rows.");
        }
        return lines.Skip(1).Select(line =>
        {
            var cells = line.Split(',');
            return new Sample
            {
                Features = cells.Take(features).Select(c => float.Parse(c, CultureInfo.InvariantCulture)).ToArray(),
                Label = cells[features] == "1", // 1 = benign, 0 = malignant
            };
        }).ToList();
    }

    /// <summary>A seeded shuffle, then the first <paramref name="trainFraction"/> for training.</summary>
    public static (IReadOnlyList<Sample> Train, IReadOnlyList<Sample> Validation) Split(IReadOnlyList<Sample> all, double trainFraction, int seed)
    {
        var shuffled = all.OrderBy(_ => 0).ToArray();
        new Random(seed).Shuffle(shuffled);
        var cut = (int)Math.Round(shuffled.Length * trainFraction);
        return (shuffled[..cut], shuffled[cut..]);
    }

    /// <summary>
    /// The file as an ML.NET data view with one float column per feature, named as scikit-learn names them: what the
    /// served model takes, so a client sends <c>{"dataframe_split": {"columns": ["mean radius", ...]}}</c>.
    /// </summary>
    public static IDataView LoadNamed(MLContext ml, string path) =>
        ml.Data.LoadFromTextFile(path, new TextLoader.Options
        {
            HasHeader = true, // the first line is the row count, feature count and class names
            Separators = [','],
            Columns = [.. FeatureNames.Select((name, i) => new TextLoader.Column(name, DataKind.Single, i))],
        });

    /// <summary>Rows as the named columns the served model takes.</summary>
    public static ModelInput ToInput(IEnumerable<Sample> samples)
    {
        var rows = samples.ToList();
        return new ModelInput(FeatureNames.Select((name, i) => (ModelTensor)ModelTensor.Column(name, rows.Select(r => r.Features[i]).ToArray())).ToList());
    }

    /// <summary>The dataset's schema as MLflow records it: 30 double features and the integer target.</summary>
    public static IEnumerable<DatasetColumn> Schema() =>
        FeatureNames.Select(n => new DatasetColumn(n, "double")).Append(new DatasetColumn("target", "long"));

    private static List<string> BuildNames()
    {
        string[] measures =
        [
            "radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity", "concave points",
            "symmetry", "fractal dimension",
        ];
        return [.. measures.Select(m => $"mean {m}"), .. measures.Select(m => $"{m} error"), .. measures.Select(m => $"worst {m}")];
    }
}
