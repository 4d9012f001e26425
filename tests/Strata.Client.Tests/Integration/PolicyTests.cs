using Microsoft.ML;
using Strata.Client.Datasets;
using Strata.Client.Models;
using Strata.Models;
using Strata.Core.Policies;
using Strata.Examples.Training;

namespace Strata.Client.Tests.Integration;

/// <summary>
/// A promotion policy end to end with the training example's model (its data, trainer and metrics, linked from
/// <c>examples/Strata.Examples.Training</c>) through the .NET SDK: a better classifier is promoted to @champion, a
/// worse one is refused, each with its reasons.
/// </summary>
public sealed class PolicyTests : IAsyncLifetime
{
    private const string DataPath = "TestData/breast_cancer.csv";
    private StrataTestServer _server = null!;
    private StrataClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await StrataTestServer.StartAsync(configure: o => o.Policies.PollInterval = TimeSpan.FromMilliseconds(50));
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_policy_promotes_a_better_example_model_and_refuses_a_worse_one()
    {
        const string Model = "breast-cancer-classifier";
        var ml = new MLContext(seed: 7);
        var samples = BreastCancerData.Load(DataPath);
        var (trainRows, validationRows) = BreastCancerData.Split(samples, trainFraction: 0.8, seed: 7);
        var validation = ml.Data.LoadFromEnumerable(validationRows);
        var evaluation = await DatasetBuilder.FromFileAsync(DataPath, "breast_cancer", BreastCancerData.Schema(), DatasetBuilder.Profile(samples.Count, Sample.FeatureCount + 1));

        await _client.CreateRegisteredModelAsync(Model);
        var policy = await _client.CreatePolicyAsync(new PolicySpec(
            "auc-gate", Model, new PolicyGate("val_auc", MetricDirection.Max, MinImprovement: 0.01, SameDataset: true), new PolicyActions(SetAlias: "challenger", Promote: true)));

        // A weak model (a few rows, one epoch), one trained on shuffled labels (worse), and the example's full training (better).
        var random = new Random(3);
        var shuffled = trainRows.Select(r => new Sample { Features = r.Features, Label = random.Next(2) == 0 }).ToList();
        var (weak, weakAuc) = await TrainAndRegisterAsync(ml, trainRows.Take(12).ToList(), validation, evaluation, Model, new Hyperparameters(0.01f, 0f, 1));
        var (noise, noiseAuc) = await TrainAndRegisterAsync(ml, shuffled, validation, evaluation, Model, new Hyperparameters(0.1f, 0f, 5));
        var (strong, strongAuc) = await TrainAndRegisterAsync(ml, trainRows, validation, evaluation, Model, new Hyperparameters(0.1f, 0f, 25));
        Assert.True(strongAuc >= weakAuc * 1.01 && noiseAuc < weakAuc, $"weak {weakAuc}, noise {noiseAuc}, strong {strongAuc}");

        var decisions = await WaitAsync(policy.Id, 3);
        var byVersion = decisions.ToDictionary(d => d.Version);
        Assert.Equal(DecisionStatus.PROMOTED, byVersion[weak].Status); // nothing to beat yet
        Assert.Equal(DecisionStatus.REFUSED, byVersion[noise].Status);
        Assert.Contains("worse", string.Join(" ", byVersion[noise].Reasons));
        Assert.Equal(noiseAuc, byVersion[noise].Details.CandidateValue!.Value, 9);
        Assert.Equal(DecisionStatus.PROMOTED, byVersion[strong].Status);
        Assert.Equal(weak, byVersion[strong].Details.ChampionVersion);
        Assert.Contains("Both runs were evaluated on the data set", string.Join(" ", byVersion[strong].Reasons));
        Assert.Equal(strong, (await _client.GetModelVersionByAliasAsync(Model, "champion")).Version);
        Assert.Equal(strong, (await _client.GetModelVersionByAliasAsync(Model, "challenger")).Version);

        // The SDK's other calls: list, update, evaluate on demand, delete.
        Assert.Equal([policy.Id], await _client.ListPoliciesAsync(Model).Select(p => p.Id).ToListAsync());
        var stricter = await _client.UpdatePolicyAsync(policy.Id, policy.Spec with { Gate = policy.Spec.Gate with { MinImprovement = 0.5 } });
        Assert.Equal(0.5, stricter.Spec.Gate.MinImprovement);
        var again = await _client.EvaluatePolicyAsync(policy.Id, weak);
        Assert.Equal(DecisionStatus.REFUSED, again.Status);
        Assert.Null(again.EventId);
        Assert.Equal(again.Id, (await _client.GetPolicyDecisionAsync(policy.Id, again.Id)).Id);
        // The SDK subscribes to Strata's own events (through Strata's webhook routes, which show them back).
        var hook = await _client.CreateWebhookAsync("ops", "http://127.0.0.1:1/x", ["deployment.updated", "alert.fired", "job.finished", "policy.decided"]);
        Assert.Equal(
            ["alert.fired", "deployment.updated", "job.finished", "policy.decided"],
            (await _client.GetWebhookAsync(hook.Id)).Events.Select(e => e.ToString()).Order(StringComparer.Ordinal));

        await _client.DeletePolicyAsync(policy.Id);
        var gone = await Assert.ThrowsAsync<StrataApiException>(() => _client.GetPolicyAsync(policy.Id));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);
    }

    private async Task<(long Version, double Auc)> TrainAndRegisterAsync(
        MLContext ml, IReadOnlyList<Sample> rows, IDataView validation, Core.Tracking.Dataset evaluation, string model, Hyperparameters hp)
    {
        var train = ml.Data.LoadFromEnumerable(rows);
        EpochMetrics? last = null;
        var trained = new Trainer(ml, train, validation).Train(hp, e => last = e);
        await using var run = await _client.StartRunAsync("policy-e2e");
        await run.LogInputAsync(evaluation, context: "evaluation");
        await run.LogMetricAsync("val_auc", last!.ValidationAuc);
        await run.FlushMetricsAsync();
        var logged = await run.LogModelAsync(ml, trained, train.Schema, new LogModelOptions { RegisteredModelName = model });
        return (logged.RegisteredVersion!.Version, last.ValidationAuc);
    }

    private async Task<List<PolicyDecision>> WaitAsync(string policyId, int settled)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var decisions = await _client.ListPolicyDecisionsAsync(policyId).ToListAsync();
            if (decisions.Count(d => !PolicyDecision.Active.Contains(d.Status)) >= settled)
            {
                return decisions;
            }

            Assert.True(DateTime.UtcNow < deadline, string.Join(" | ", decisions.Select(d => $"{d.Version} {d.Status} {string.Join(" ", d.Reasons)}")));
            await Task.Delay(50);
        }
    }
}
