using Microsoft.ML;
using Microsoft.ML.Data;

namespace Strata.Serving.Runtimes;

/// <summary>Works out which columns an ML.NET model reads and which it predicts.</summary>
internal static class MlnetSchemas
{
    /// <summary>The usual names of what ML.NET trainers add, in the order they are reported.</summary>
    private static readonly string[] PredictionNames = ["PredictedLabel", "Score", "Probability"];

    /// <summary>Columns of the saved input schema that the model fails without (tried by leaving each one out).</summary>
    public static IReadOnlyList<string> RequiredInputColumns(ITransformer transformer, DataViewSchema schema)
    {
        var required = new List<string>();
        foreach (var column in schema)
        {
            if (column.IsHidden)
            {
                continue;
            }

            try
            {
                transformer.GetOutputSchema(Subset(schema, schema.Where(c => !c.IsHidden && c.Index != column.Index).Select(c => c.Name).ToList()));
            }
            // Transforms report a missing column with different exception types; any failure means "needed".
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                required.Add(column.Name);
            }
        }

        return required;
    }

    public static DataViewSchema Subset(DataViewSchema schema, IReadOnlyCollection<string> names)
    {
        var builder = new DataViewSchema.Builder();
        foreach (var column in schema)
        {
            if (!column.IsHidden && names.Contains(column.Name))
            {
                builder.AddColumn(column.Name, column.Type, column.Annotations);
            }
        }

        return builder.ToSchema();
    }

    /// <summary>What to return when the signature does not say: the trainer's prediction columns if there are any,
    /// otherwise every column the model adds.</summary>
    public static IReadOnlyList<string> PredictionColumns(DataViewSchema output, DataViewSchema input)
    {
        var visible = output.Where(c => !c.IsHidden).Select(c => c.Name).ToList();
        var predictions = PredictionNames.Where(visible.Contains).ToList();
        return predictions.Count > 0 ? predictions : visible.Where(n => input.GetColumnOrNull(n) is null).ToList();
    }
}
