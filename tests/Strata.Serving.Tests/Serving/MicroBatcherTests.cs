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
        // The eighth request completes the batch and wakes the loop: nobody waits for the 30 s limit.
        var runtime = new DoublingRuntime();
        await using var batcher = new MicroBatcher(runtime, new BatchingOptions { Enabled = true, MaxBatchSize = 64, MaxDelay = TimeSpan.FromSeconds(30) }, () => 8);
        var started = DateTime.UtcNow;
        var tasks = new List<Task<ModelOutput>>();
        for (var i = 0; i < 8; i++)
        {
            if (i == 4)
            {
                // The loop is gathering by now: the last four arrive while it sleeps.
                await Task.Delay(50);
            }

            tasks.Add(batcher.PredictAsync(new ModelInput(ModelTensor.Column("x", new[] { i, i + 0.5f })), default).AsTask());
        }

        var outputs = await Task.WhenAll(tasks);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15), "the batch was held until its time limit");
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
    public async Task A_batch_that_reaches_the_max_size_goes_without_waiting_for_the_rest_in_flight()
    {
        // 100 requests in flight, batches of at most 10 rows: each batch is woken by the request that fills it.
        var runtime = new DoublingRuntime();
        await using var batcher = new MicroBatcher(runtime, new BatchingOptions { Enabled = true, MaxBatchSize = 10, MaxDelay = TimeSpan.FromSeconds(30) }, () => 100);
        var started = DateTime.UtcNow;
        var tasks = Enumerable.Range(0, 30).Select(i => batcher.PredictAsync(new ModelInput(ModelTensor.Column("x", new[] { (float)i })), default).AsTask()).ToList();
        var outputs = await Task.WhenAll(tasks);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15), "full batches were held until their time limit");
        Assert.Equal(Enumerable.Range(0, 30).Select(i => i * 2f), outputs.Select(o => ((ModelTensor<float>)o["y"]).Span[0]));
        Assert.Equal([10, 10, 10], runtime.Calls);
    }

    [Fact]
    public async Task Requests_arriving_one_by_one_while_others_are_in_flight_gather_until_the_limit()
    {
        // Three requests in flight, only two arrive: the batch waits for the third until the limit, then goes as two.
        var runtime = new DoublingRuntime();
        await using var batcher = new MicroBatcher(runtime, new BatchingOptions { Enabled = true, MaxBatchSize = 64, MaxDelay = TimeSpan.FromMilliseconds(200) }, () => 3);
        var first = batcher.PredictAsync(new ModelInput(ModelTensor.Column("x", new[] { 1f })), default).AsTask();
        await Task.Delay(20);
        var second = batcher.PredictAsync(new ModelInput(ModelTensor.Column("x", new[] { 2f })), default).AsTask();
        await Task.WhenAll(first, second);
        Assert.Equal([2], runtime.Calls);
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
