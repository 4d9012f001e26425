using System.Globalization;
using Strata.Core.Models;
using Strata.Models;

namespace Strata.Examples.Triage;

/// <summary>
/// The ML engineer's layer around the data scientist's classifier (carried as the artifact <c>classifier</c>):
/// <list type="bullet">
/// <item>validation: every feature must be a finite, non-negative measurement (they are sizes, ratios and counts);</item>
/// <item>the classifier's score, passed through;</item>
/// <item>a business rule: a score within <c>referral_margin</c> of the decision boundary is not decided by the model
/// but referred to a pathologist (<c>decision: "refer"</c>).</item>
/// </list>
/// A column-frame model: the 30 named feature columns go to the classifier as they came, without a copy.
/// </summary>
public sealed class BreastCancerTriage : IStrataModel
{
    private IArtifactModel _classifier = null!;
    private float _margin;

    public async ValueTask LoadAsync(ModelContext context, CancellationToken cancellationToken)
    {
        _classifier = await context.LoadModelAsync("classifier", cancellationToken).ConfigureAwait(false);
        _margin = context.ModelConfig.TryGetValue("referral_margin", out var margin)
            ? Convert.ToSingle(margin, CultureInfo.InvariantCulture)
            : 1f;
    }

    public ValueTask<ModelOutput> PredictAsync(ModelInput input, IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken)
    {
        foreach (var column in input.Tensors)
        {
            if (column is not ModelTensor<float> values)
            {
                continue; // the signature makes every feature a float; the classifier reports anything else
            }

            var span = values.Span;
            for (var row = 0; row < span.Length; row++)
            {
                if (!float.IsFinite(span[row]) || span[row] < 0)
                {
                    throw new ModelInputException(
                        FormattableString.Invariant($"'{column.Name}' must be a non-negative measurement; row {row} has {span[row]}."));
                }
            }
        }

        var scored = _classifier.Predict(input);
        var scores = ((ModelTensor<float>)scored["Score"]).Span;
        var decisions = new string[scores.Length];
        var benign = new bool[scores.Length];
        for (var row = 0; row < scores.Length; row++)
        {
            benign[row] = scores[row] > 0; // label 1 = benign in the data set
            decisions[row] = MathF.Abs(scores[row]) < _margin ? "refer" : benign[row] ? "benign" : "malignant";
        }

        return ValueTask.FromResult(new ModelOutput(
        [
            ModelTensor.Column("decision", decisions),
            ModelTensor.Column("benign", benign),
            ModelTensor.Column("score", scores.ToArray()),
        ]));
    }

    /// <summary>What the model returns, for its logged signature.</summary>
    public static ModelSchema OutputSchema { get; } = ModelSchema.FromColumns(
    [
        new ColumnSpec(DataType.String, "decision"),
        new ColumnSpec(DataType.Boolean, "benign"),
        new ColumnSpec(DataType.Float, "score"),
    ]);
}
