using Strata.Core.Models;
using Strata.Serving.Batching;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Tests.Serving;

/// <summary>Batching left unset follows the runtime: on (512 rows a call) for Python workers, off (64) in process.</summary>
public sealed class BatchingDefaultsTests
{
    [Fact]
    public void Unset_batching_is_on_for_out_of_process_runtimes_and_off_for_the_others()
    {
        using var inProcess = new FakeRuntime();
        using var outOfProcess = new FakeAsyncRuntime();
        var unset = new BatchingOptions();

        Assert.Equal(false, unset.For(inProcess).Enabled);
        Assert.Equal(BatchingOptions.DefaultMaxBatchSize, unset.For(inProcess).MaxBatchSize);
        Assert.Equal(true, unset.For(outOfProcess).Enabled);
        Assert.Equal(BatchingOptions.DefaultOutOfProcessMaxBatchSize, unset.For(outOfProcess).MaxBatchSize);

        var off = new BatchingOptions { Enabled = false, MaxBatchSize = 16 };
        Assert.Equal(false, off.For(outOfProcess).Enabled);
        Assert.Equal(16, off.For(outOfProcess).MaxBatchSize);
        Assert.Equal(true, new BatchingOptions { Enabled = true }.For(inProcess).Enabled);
    }

    private class FakeRuntime : IModelRuntime
    {
        public string Flavor => "fake";

        public MlModel Model => throw new NotSupportedException();

        public ModelSchema InputSchema => ModelSchema.FromColumns([new ColumnSpec(DataType.Double, "x")]);

        public ModelSchema OutputSchema => InputSchema;

        public ModelOutput Predict(ModelInput input) => new(input.Tensors);

        public void Dispose()
        {
        }
    }

    private sealed class FakeAsyncRuntime : FakeRuntime, IAsyncModelRuntime
    {
        public int Concurrency => 2;

        public ValueTask<ModelOutput> PredictAsync(ModelInput input, CancellationToken ct) => ValueTask.FromResult(Predict(input));
    }
}
