using Strata.Core.Errors;
using Strata.Core.Models;
using Strata.Serving.Batching;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Tests.Serving;

public sealed class MicroBatcherTests
{
    /// <summary>Doubles column x; fails any batch holding a negative value (as a model might on bad input).</summary>
    private sealed class DoublingRuntime : IModelRuntime
    {
        public List<int> Calls { get; } = [];

        public string Flavor => "test";

        public MlModel Model { get; } = new();

        public ModelSchema InputSchema { get; } = ModelSchema.FromColumns([new ColumnSpec(DataType.Float, "x")]);

        public ModelSchema OutputSchema { get; } = ModelSchema.FromColumns([new ColumnSpec(DataType.Float, "y")]);

        public ModelOutput Predict(ModelInput input)
        {
            lock (Calls)
            {
                Calls.Add(input.RowCount);
            }

            var x = ((ModelTensor<float>)input.Tensors[0]).Span;
            var y = new float[x.Length];
            for (var i = 0; i < x.Length; i++)
            {
                y[i] = x[i] < 0 ? throw MlflowException.InvalidParameter($"negative x {x[i]}") : x[i] * 2;
            }

            return new ModelOutput([ModelTensor.Column("y", y)]);
        }

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task Concurrent_requests_become_one_model_call_and_each_gets_its_own_rows()
    {
        var runtime = new DoublingRuntime();
        await using var batcher = new MicroBatcher(runtime, new BatchingOptions { Enabled = true, MaxBatchSize = 64, MaxDelay = TimeSpan.FromSeconds(2) }, () => 8);
        var tasks = Enumerable.Range(0, 8).Select(i => batcher.PredictAsync(new ModelInput(ModelTensor.Column("x", new[] { i, i + 0.5f })), default).AsTask()).ToList();
        var outputs = await Task.WhenAll(tasks);
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal([i * 2f, (i * 2f) + 1], ((ModelTensor<float>)outputs[i]["y"]).Span.ToArray());
        }

        Assert.Equal([16], runtime.Calls);
    }

    [Fact]
    public async Task A_batch_never_exceeds_the_max_size_and_a_lone_request_does_not_wait()
    {
        var runtime = new DoublingRuntime();
        await using var batcher = new MicroBatcher(runtime, new BatchingOptions { Enabled = true, MaxBatchSize = 4, MaxDelay = TimeSpan.FromSeconds(5) }, () => 1);
        var started = DateTime.UtcNow;
        await batcher.PredictAsync(new ModelInput(ModelTensor.Column("x", new[] { 1f })), default);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(2), "a lone request waited for the batch delay");

        var many = Enumerable.Range(0, 10).Select(i => batcher.PredictAsync(new ModelInput(ModelTensor.Column("x", new[] { (float)i })), default).AsTask()).ToList();
        await Task.WhenAll(many);
        Assert.All(runtime.Calls, c => Assert.True(c <= 4));
        Assert.Equal(11, runtime.Calls.Sum());
    }

    [Fact]
    public async Task A_failing_request_fails_alone_and_its_batch_mates_succeed()
    {
        var runtime = new DoublingRuntime();
        await using var batcher = new MicroBatcher(runtime, new BatchingOptions { Enabled = true, MaxBatchSize = 64, MaxDelay = TimeSpan.FromSeconds(2) }, () => 3);
        var good1 = batcher.PredictAsync(new ModelInput(ModelTensor.Column("x", new[] { 1f })), default).AsTask();
        var bad = batcher.PredictAsync(new ModelInput(ModelTensor.Column("x", new[] { -1f })), default).AsTask();
        var good2 = batcher.PredictAsync(new ModelInput(ModelTensor.Column("x", new[] { 3f })), default).AsTask();
        var first = await good1;
        var second = await good2;
        Assert.Equal([2f], ((ModelTensor<float>)first["y"]).Span.ToArray());
        Assert.Equal([6f], ((ModelTensor<float>)second["y"]).Span.ToArray());
        var error = await Assert.ThrowsAsync<MlflowException>(() => bad);
        Assert.Contains("negative", error.Message, StringComparison.Ordinal);
    }
}
