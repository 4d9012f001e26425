using Microsoft.ML;
using Strata.Serving.Models;

namespace Strata.Models.Tests.Support;

/// <summary>
/// The code models the tests log and serve, compiled once per test class:
/// two builds of <c>Tiny.Model</c> (same assembly name) against two versions of <c>Tiny.Pricing</c> (same name,
/// 1.0.0.0 and 2.0.0.0, different factors), and <c>Tiny.Scoring</c>, which wraps an ML.NET model carried as an artifact.
/// </summary>
public sealed class CodeModelBuilds : IDisposable
{
    private const string Usings = "using System; using System.IO; using System.Linq; using System.Collections.Generic; using System.Globalization; using System.Threading; using System.Threading.Tasks; using Strata.Models;\n";

    private const string PricingModel = Usings + """
        namespace Tiny;
        public sealed class Quote { public double Amount { get; set; } public string Customer { get; set; } = ""; }
        public sealed class Price { public double Total { get; set; } public string PricingVersion { get; set; } = ""; public string Note { get; set; } = ""; }
        public sealed class PricingModel : IStrataModel<Quote, Price>
        {
            private string _note = "";
            public ValueTask LoadAsync(ModelContext context, CancellationToken cancellationToken)
            {
                if (context.Artifacts.ContainsKey("note")) { _note = File.ReadAllText(context.ArtifactPath("note")).Trim(); }
                return ValueTask.CompletedTask;
            }
            public ValueTask<IReadOnlyList<Price>> PredictAsync(IReadOnlyList<Quote> rows, IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken)
            {
                // "discount" is a request-time param when the model is logged with one (CodeModel.Params).
                var discount = parameters.TryGetValue("discount", out var d) && d is double x ? x : 0.0;
                var result = new Price[rows.Count];
                for (var i = 0; i < rows.Count; i++)
                {
                    if (rows[i].Amount < 0) { throw new ModelInputException($"Amount must not be negative (row {i})."); }
                    if (rows[i].Customer == "boom") { throw new InvalidOperationException("The pricing table is broken."); }
                    result[i] = new Price { Total = rows[i].Amount * Tiny.Pricing.Rate.Factor * (1 - discount), PricingVersion = Tiny.Pricing.Rate.Version, Note = _note };
                }
                return ValueTask.FromResult<IReadOnlyList<Price>>(result);
            }
        }
        """;

    private const string ScoringModel = Usings + """
        namespace Tiny;
        public sealed class Applicant { [ModelColumn("x1")] public float X1 { get; set; } [ModelColumn("x2")] public float X2 { get; set; } }
        public sealed class Decision { public float Score { get; set; } public bool Approved { get; set; } public string Rule { get; set; } = ""; }
        public sealed class ScoreRow { public float Score { get; set; } }
        public sealed class ScoringModel : IStrataModel<Applicant, Decision>
        {
            private IArtifactModel _classifier = null!;
            private float _threshold;
            public async ValueTask LoadAsync(ModelContext context, CancellationToken cancellationToken)
            {
                _classifier = await context.LoadModelAsync("classifier", cancellationToken);
                _threshold = Convert.ToSingle(context.ModelConfig["threshold"], CultureInfo.InvariantCulture);
            }
            public ValueTask<IReadOnlyList<Decision>> PredictAsync(IReadOnlyList<Applicant> rows, IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken)
            {
                foreach (var row in rows) { if (!float.IsFinite(row.X1)) { throw new ModelInputException("x1 must be a number."); } }
                var scores = ColumnFrame.ToRows<ScoreRow>(_classifier.Predict(ColumnFrame.ToInput(rows)));
                var result = rows.Select((row, i) => row.X2 > 100
                    ? new Decision { Score = scores[i].Score, Approved = false, Rule = "x2 over limit" }
                    : new Decision { Score = scores[i].Score, Approved = scores[i].Score > _threshold, Rule = "threshold" }).ToList();
                return ValueTask.FromResult<IReadOnlyList<Decision>>(result);
            }
        }
        """;

    public CodeModelBuilds()
    {
        Root = Directory.CreateTempSubdirectory("strata-code-models-").FullName;
        PricingV1 = BuildPricing("v1", "1.0.0.0", "1.5", "1");
        PricingV2 = BuildPricing("v2", "2.0.0.0", "3.0", "2");
        var scoringFolder = Path.Combine(Root, "scoring");
        ScoringAssembly = TestModelCompiler.Compile(scoringFolder, "Tiny.Scoring", "1.0.0.0", ScoringModel);

        // The data scientist's model: y = 2*x1 - x2 (+ noise), an SDCA regression over named columns x1, x2.
        Ml = new MLContext(seed: 3);
        var random = new Random(3);
        Rows = Enumerable.Range(0, 300).Select(_ =>
        {
            var x1 = (float)random.NextDouble() * 10;
            var x2 = (float)random.NextDouble() * 10;
            return new Row { X1 = x1, X2 = x2, Label = (2 * x1) - x2 + ((float)random.NextDouble() * 0.1f) };
        }).ToList();
        var data = Ml.Data.LoadFromEnumerable(Rows);
        Classifier = Ml.Transforms.Concatenate("Features", "x1", "x2").Append(Ml.Regression.Trainers.Sdca(maximumNumberOfIterations: 20)).Fit(data);
        ClassifierFolder = Path.Combine(Root, "classifier");
        MlnetFlavor.SaveAsync(ClassifierFolder, Ml, Classifier, data.Schema).GetAwaiter().GetResult();
    }

    public string Root { get; }

    public string PricingV1 { get; }

    public string PricingV2 { get; }

    public string ScoringAssembly { get; }

    public MLContext Ml { get; }

    public List<Row> Rows { get; }

    public ITransformer Classifier { get; }

    public string ClassifierFolder { get; }

    public sealed class Row
    {
        [Microsoft.ML.Data.ColumnName("x1")]
        public float X1 { get; set; }

        [Microsoft.ML.Data.ColumnName("x2")]
        public float X2 { get; set; }

        public float Label { get; set; }
    }

    public string NewPath(string name) => Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>A <c>dotnet_function</c> model folder for the pricing build at <paramref name="assembly"/>.</summary>
    public async Task<string> SavePricingAsync(string assembly, IReadOnlyDictionary<string, string>? artifacts = null, IReadOnlyList<Core.Models.ParamSpec>? parameters = null)
    {
        var folder = NewPath("pricing-model");
        await DotnetFunctionFlavor.SaveAsync(folder, new CodeModel
        {
            ModelType = TestModelCompiler.LoadType(assembly, "Tiny.PricingModel"),
            Artifacts = artifacts ?? new Dictionary<string, string>(),
            Params = parameters,
        });
        return folder;
    }

    public void Dispose() => TestFolders.TryDelete(Root);

    private string BuildPricing(string name, string version, string factor, string label)
    {
        var folder = Path.Combine(Root, "pricing-" + name);
        var dependency = TestModelCompiler.Compile(folder, "Tiny.Pricing", version,
            $"namespace Tiny.Pricing; public static class Rate {{ public static double Factor => {factor}; public static string Version => \"{label}\"; }}");
        return TestModelCompiler.Compile(folder, "Tiny.Model", "1.0.0.0", PricingModel, dependency);
    }
}
