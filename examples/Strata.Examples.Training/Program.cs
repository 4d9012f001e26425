using System.Globalization;
using Microsoft.ML;
using Strata.Client;
using Strata.Client.Datasets;
using Strata.Client.Models;
using Strata.Models;
using Strata.Core.Models;
using Strata.Core.Tracking;
using Strata.Examples.Training;

// Trains a breast-cancer classifier with a small hyperparameter search, tracked in Strata:
// one parent run, one nested run per trial with per-epoch metrics, the dataset as a run input,
// the best model logged (mlnet flavor), registered as "breast-cancer-classifier" and given the alias "champion",
// then loaded back through models:/breast-cancer-classifier@champion and checked on the validation rows;
// an ML engineer's code model wraps it (validation, a referral rule), is logged and registered as
// "breast-cancer-triage", and is served and queried as `strata models serve` would serve it.
// Point it at a server with STRATA_TRACKING_URI (or MLFLOW_TRACKING_URI); with neither set it starts a Strata
// server in-process (127.0.0.1, a free port, SQLite and artifacts in a temporary folder removed at the end).

var dataPath = Path.Combine(AppContext.BaseDirectory, "data", "breast_cancer.csv");
var experimentName = args.Length > 0 ? args[0] : "breast-cancer";
const string RegisteredName = "breast-cancer-classifier";

await using var local = await InProcessServer.StartIfNoTrackingUriAsync();
using var client = StrataClient.FromEnvironment(o => o.TrackingUri ??= local?.Uri);
var ml = new MLContext(seed: 7);
var samples = BreastCancerData.Load(dataPath);
var (trainRows, validationRows) = BreastCancerData.Split(samples, trainFraction: 0.8, seed: 7);
var train = ml.Data.LoadFromEnumerable(trainRows);
var validation = ml.Data.LoadFromEnumerable(validationRows);
var trainer = new Trainer(ml, train, validation);

var dataset = await DatasetBuilder.FromFileAsync(
    dataPath, "breast_cancer", BreastCancerData.Schema(), DatasetBuilder.Profile(samples.Count, Sample.FeatureCount + 1));

Hyperparameters[] grid =
[
    .. from lr in new[] { 0.01f, 0.1f, 1f }
       from l2 in new[] { 0f, 1e-3f, 1e-1f }
       select new Hyperparameters(lr, l2, Epochs: 25),
];

var best = await client.RunAsync(experimentName, async parent =>
{
    await parent.LogParamsAsync(new Dictionary<string, string>
    {
        ["model_family"] = "averaged_perceptron",
        ["trials"] = grid.Length.ToString(CultureInfo.InvariantCulture),
        ["train_rows"] = trainRows.Count.ToString(CultureInfo.InvariantCulture),
        ["validation_rows"] = validationRows.Count.ToString(CultureInfo.InvariantCulture),
    });
    await parent.LogInputAsync(dataset, context: "training");

    (StrataRun Run, Hyperparameters Hp, double Auc, ITransformer Model)? winner = null;
    foreach (var hp in grid)
    {
        var name = FormattableString.Invariant($"lr={hp.LearningRate}-l2={hp.L2Regularization}");
        var (auc, model, runId) = await parent.RunChildAsync(name, async trial =>
        {
            await trial.LogParamsAsync(new Dictionary<string, string>
            {
                ["learning_rate"] = hp.LearningRate.ToString(CultureInfo.InvariantCulture),
                ["l2_regularization"] = hp.L2Regularization.ToString(CultureInfo.InvariantCulture),
                ["epochs"] = hp.Epochs.ToString(CultureInfo.InvariantCulture),
            });
            await trial.LogInputAsync(dataset, context: "training");
            var lastAuc = 0.0;
            var model = trainer.Train(hp, epoch =>
            {
                // Buffered: these calls return at once; a background loop sends log-batch calls.
                trial.LogMetric("train_accuracy", epoch.TrainAccuracy, epoch.Epoch);
                trial.LogMetric("val_accuracy", epoch.ValidationAccuracy, epoch.Epoch);
                trial.LogMetric("val_auc", epoch.ValidationAuc, epoch.Epoch);
                trial.LogMetric("val_f1", epoch.ValidationF1, epoch.Epoch);
                lastAuc = epoch.ValidationAuc;
            });
            return (lastAuc, model, trial.RunId);
        });
        Console.WriteLine(FormattableString.Invariant($"trial {name}: val_auc={auc:F4} (run {runId})"));
        if (winner is null || auc > winner.Value.Auc)
        {
            winner = (parent, hp, auc, model);
            await parent.SetTagAsync("best_trial_run_id", runId);
        }
    }

    var w = winner!.Value;
    parent.LogMetric("best_val_auc", w.Auc);
    await parent.LogParamsAsync(new Dictionary<string, string>
    {
        ["best_learning_rate"] = w.Hp.LearningRate.ToString(CultureInfo.InvariantCulture),
        ["best_l2_regularization"] = w.Hp.L2Regularization.ToString(CultureInfo.InvariantCulture),
    });

    // The best model: logged from the parent run (MLflow 3 logged-model flow) and registered in one call. It takes
    // the data set's 30 named columns (a Concatenate in front of the trained chain), so the signature names them and
    // a client can send {"dataframe_split": {"columns": ["mean radius", ...], ...}}; two validation rows are its example.
    var named = BreastCancerData.LoadNamed(ml, dataPath);
    var servable = ml.Transforms.Concatenate("Features", [.. BreastCancerData.FeatureNames]).Fit(named).Append(w.Model);
    var logged = await parent.LogModelAsync(ml, servable, named.Schema, new LogModelOptions
    {
        Name = "breast-cancer-perceptron",
        RegisteredModelName = RegisteredName,
        InputExample = BreastCancerData.ToInput(validationRows.Take(2)),
        Params = [new("learning_rate", w.Hp.LearningRate.ToString(CultureInfo.InvariantCulture)),
                  new("l2_regularization", w.Hp.L2Regularization.ToString(CultureInfo.InvariantCulture))],
    });
    await client.SetRegisteredModelAliasAsync(RegisteredName, "champion", logged.RegisteredVersion!.Version);
    Console.WriteLine($"logged model {logged.ModelId}, registered {RegisteredName} version {logged.RegisteredVersion.Version} as @champion");
    return (w.Hp, w.Auc, w.Model, parent.RunId);
}, runName: "hyperparameter-search");

Console.WriteLine(FormattableString.Invariant(
    $"best: lr={best.Hp.LearningRate} l2={best.Hp.L2Regularization} val_auc={best.Auc:F4}; parent run {best.RunId}"));

// Load the champion back the way a serving process would (named columns in), and check it agrees with the in-memory model.
using var champion = await client.LoadModelAsync($"models:/{RegisteredName}@champion");
var loaded = ((ModelTensor<bool>)champion.Predict(BreastCancerData.ToInput(validationRows))["PredictedLabel"]).Span.ToArray();
var original = ml.Data.CreateEnumerable<Prediction>(best.Model.Transform(validation), reuseRowObject: false).ToList();
var agree = loaded.Zip(original).Count(p => p.First == p.Second.PredictedLabel);
var accuracy = loaded.Zip(validationRows).Count(p => p.First == p.Second.Label) / (double)validationRows.Count;
Console.WriteLine(FormattableString.Invariant(
    $"champion loaded ({champion.Flavor}): agrees with the trained model on {agree}/{validationRows.Count} rows, validation accuracy {accuracy:F4}"));

// The ML engineer: a code model around the champion (validation, a referral rule), logged, registered, @champion.
var triage = await TriageModel.LogAsync(client, experimentName, RegisteredName, validationRows);
Console.WriteLine($"logged code model {triage.ModelId}, registered {TriageModel.RegisteredName} version {triage.RegisteredVersion!.Version} as @champion");

// Serving: what `strata models serve -m models:/breast-cancer-triage@champion` runs, queried over HTTP.
var served = await TriageServing.ServeAndQueryAsync(client.Options.TrackingUri!, validationRows);
return agree == validationRows.Count && served ? 0 : 1;
