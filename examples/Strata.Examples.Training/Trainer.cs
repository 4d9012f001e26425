using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace Strata.Examples.Training;

public sealed record Hyperparameters(float LearningRate, float L2Regularization, int Epochs);

public sealed record EpochMetrics(int Epoch, double TrainAccuracy, double ValidationAccuracy, double ValidationAuc, double ValidationF1);

/// <summary>
/// Trains a normalized averaged-perceptron classifier one epoch at a time (warm-started from the previous epoch's
/// weights), so the caller sees and logs every epoch's metrics.
/// </summary>
public sealed class Trainer(MLContext ml, IDataView train, IDataView validation)
{
    private readonly ITransformer _normalizer = ml.Transforms.NormalizeMeanVariance("Features").Fit(train);

    public ITransformer Train(Hyperparameters hp, Action<EpochMetrics> onEpoch)
    {
        var normalizedTrain = _normalizer.Transform(train);
        var trainer = ml.BinaryClassification.Trainers.AveragedPerceptron(new AveragedPerceptronTrainer.Options
        {
            LearningRate = hp.LearningRate,
            L2Regularization = hp.L2Regularization,
            NumberOfIterations = 1,
            Shuffle = false,
        });
        BinaryPredictionTransformer<LinearBinaryModelParameters>? model = null;
        for (var epoch = 1; epoch <= hp.Epochs; epoch++)
        {
            model = model is null ? trainer.Fit(normalizedTrain) : trainer.Fit(normalizedTrain, model.Model);
            var chain = new TransformerChain<ITransformer>(_normalizer, model);
            var onTrain = ml.BinaryClassification.EvaluateNonCalibrated(chain.Transform(train));
            var onValidation = ml.BinaryClassification.EvaluateNonCalibrated(chain.Transform(validation));
            onEpoch(new EpochMetrics(epoch, onTrain.Accuracy, onValidation.Accuracy, onValidation.AreaUnderRocCurve, onValidation.F1Score));
        }
        return new TransformerChain<ITransformer>(_normalizer, model!);
    }
}
