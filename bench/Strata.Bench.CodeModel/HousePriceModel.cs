using Strata.Core.Models;
using Strata.Models;

namespace Strata.Bench.CodeModel;

public sealed class House
{
    public float Size { get; set; }

    public float Rooms { get; set; }

    public float Age { get; set; }
}

public sealed class Price
{
    public float Score { get; set; }
}

/// <summary>
/// A typed code model of the usual shape: validate, call the wrapped ML.NET model (artifact <c>regressor</c>), apply a
/// business rule (no negative price). Its cost over the wrapped model is the typed-row conversion and the rule.
/// </summary>
public sealed class HousePriceModel : IStrataModel<House, Price>
{
    private IArtifactModel _regressor = null!;

    public async ValueTask LoadAsync(ModelContext context, CancellationToken cancellationToken) =>
        _regressor = await context.LoadModelAsync("regressor", cancellationToken).ConfigureAwait(false);

    public ValueTask<IReadOnlyList<Price>> PredictAsync(IReadOnlyList<House> rows, IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken)
    {
        foreach (var row in rows)
        {
            if (!(row.Size > 0))
            {
                throw new ModelInputException("Size must be positive.");
            }
        }

        var scores = ((ModelTensor<float>)_regressor.Predict(ColumnFrame.ToInput(rows))["Score"]).Span;
        var prices = new Price[scores.Length];
        for (var i = 0; i < prices.Length; i++)
        {
            prices[i] = new Price { Score = MathF.Max(0, scores[i]) };
        }

        return ValueTask.FromResult<IReadOnlyList<Price>>(prices);
    }
}
