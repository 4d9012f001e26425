using Strata.Client;
using Strata.Client.Models;
using Strata.Core.Models;
using Strata.Examples.Triage;
using Strata.Models;
using Strata.Serving.Models;

namespace Strata.Examples.Training;

/// <summary>The ML engineer's step: the triage code model around the registered classifier, logged and registered.</summary>
public static class TriageModel
{
    public const string RegisteredName = "breast-cancer-triage";

    public static async Task<LoggedModelResult> LogAsync(StrataClient client, string experimentName, string classifierName, IReadOnlyList<Sample> examples)
    {
        var logged = await client.RunAsync(experimentName, run => run.LogCodeModelAsync(
            new CodeModel
            {
                ModelType = typeof(BreastCancerTriage),
                // Downloaded from the registry and packed inside the code model: the version served is the one tested.
                Artifacts = new Dictionary<string, string> { ["classifier"] = $"models:/{classifierName}@champion" },
                Signature = new ModelSignature(
                    ModelSchema.FromColumns(BreastCancerData.FeatureNames.Select(n => new ColumnSpec(DataType.Float, n))),
                    BreastCancerTriage.OutputSchema),
                ModelConfig = new Dictionary<string, object?> { ["referral_margin"] = 1.0 },
            },
            new LogModelOptions
            {
                Name = RegisteredName,
                RegisteredModelName = RegisteredName,
                InputExample = BreastCancerData.ToInput(examples.Take(2)),
            }), runName: "triage-model");
        await client.SetRegisteredModelAliasAsync(RegisteredName, "champion", logged.RegisteredVersion!.Version);
        return logged;
    }
}
