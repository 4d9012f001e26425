using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Strata.Core.Jobs;
using Strata.Server.Hosting;
using Strata.Server.Jobs;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Jobs.Kubernetes;

/// <summary>
/// Jobs with <c>runner: kubernetes</c> end to end: a Strata server whose runner talks, through a kubeconfig file, to
/// <see cref="FakeKubernetesApiServer"/> (there is no real cluster on the test machines; the fake runs each Job's
/// command as a local process). Covers the manifest sent, exit codes, the pod log kept as the run's artifact,
/// cancel (the Job deleted with propagation), timeout, a pod that cannot pull its image, and bad input.
/// </summary>
public sealed class KubernetesJobRunnerTests : IAsyncLifetime
{
    private const string Api = "/api/2.0/strata/jobs";
    private FakeKubernetesApiServer _kube = null!;
    private StrataTestServer _server = null!;

    public async Task InitializeAsync()
    {
        _kube = await FakeKubernetesApiServer.StartAsync();
        _server = await StrataTestServer.StartAsync(o =>
        {
            JobsApiTests.Fast(o);
            o.Jobs.Kubernetes.Kubeconfig = _kube.Kubeconfig;
            o.Jobs.Kubernetes.PollInterval = TimeSpan.FromMilliseconds(100);
            o.Jobs.Kubernetes.TrackingUri = "http://strata.strata.svc:5000";
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _kube.DisposeAsync();
    }

    private static string NewName() => "k8s-" + Guid.NewGuid().ToString("N")[..8];

    private async Task<JsonElement> CreateAsync(object body) => (await _server.PostAsync(Api, body)).Ok().GetProperty("job");

    private async Task<JsonElement> RunAsync(string name) => (await _server.PostAsync($"{Api}/{name}/run", "{}")).Ok().GetProperty("execution");

    private async Task<JsonElement> WaitForAsync(string id, Func<JsonElement, bool> done, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var e = (await _server.GetAsync($"{Api}/executions/{id}")).Ok().GetProperty("execution");
            if (done(e))
            {
                return e;
            }

            Assert.True(DateTime.UtcNow < deadline, $"execution {id} never got there: {e}; the API server's last requests: {string.Join(", ", _kube.Requests.TakeLast(6))}");
            await Task.Delay(50);
        }
    }

    private Task<JsonElement> WaitForEndAsync(string id) =>
        WaitForAsync(id, e => e.GetProperty("status").GetString() is not ("queued" or "running"));

    private async Task<string> StdoutAsync(string executionId)
    {
        var response = await _server.Client.GetAsync($"{Api}/executions/{executionId}/logs?stream=stdout");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task An_execution_is_a_Kubernetes_Job_built_from_the_template_and_its_pod_log_is_kept()
    {
        var name = NewName();
        var job = await CreateAsync(new
        {
            name, runner = "kubernetes", command = "/bin/sh", args = new[] { "-c", "echo \"out $GREETING $MLFLOW_RUN_ID\"; echo oops >&2" },
            env = new Dictionary<string, string> { ["GREETING"] = "hello" }, timeout_seconds = 120,
            kubernetes = new
            {
                image = "registry.example/train:1.2", service_account = "trainer",
                resources = new { requests = new { cpu = "250m", memory = "256Mi" }, limits = new { memory = "1Gi" } },
            },
        });
        Assert.Equal("kubernetes", job.GetProperty("runner").GetString());
        Assert.Equal("registry.example/train:1.2", job.GetProperty("kubernetes").GetProperty("image").GetString());
        Assert.Equal("1Gi", job.GetProperty("kubernetes").GetProperty("resources").GetProperty("limits").GetProperty("memory").GetString());

        var id = (await RunAsync(name)).GetProperty("execution_id").GetString()!;
        var done = await WaitForEndAsync(id);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal(0, done.GetProperty("exit_code").GetInt32());
        var runId = done.GetProperty("run_id").GetString()!;

        // Kubernetes keeps one stream per container: stdout and stderr together, in the run as logs/stdout.txt.
        var log = await StdoutAsync(id);
        Assert.Contains($"out hello {runId}", log);
        Assert.Contains("oops", log);

        var sent = _kube.Created[KubernetesJobTemplate.JobName(id)];
        Assert.Equal("batch/v1", sent.ApiVersion);
        Assert.Equal("Job", sent.Kind);
        Assert.Equal(FakeKubernetesApiServer.ContextNamespace, sent.Metadata.NamespaceProperty); // the kubeconfig context's
        Assert.Equal(id, sent.Metadata.Labels[KubernetesJobTemplate.ExecutionLabel]);
        Assert.Equal(name, sent.Metadata.Labels[KubernetesJobTemplate.JobLabel]);
        Assert.Equal("strata", sent.Metadata.Labels["app.kubernetes.io/managed-by"]); // kept from the template
        Assert.Equal(0, sent.Spec.BackoffLimit);
        Assert.Equal(120, sent.Spec.ActiveDeadlineSeconds);
        Assert.Equal(3600, sent.Spec.TtlSecondsAfterFinished);
        Assert.Equal(id, sent.Spec.Template.Metadata.Labels[KubernetesJobTemplate.ExecutionLabel]);
        var pod = sent.Spec.Template.Spec;
        Assert.Equal("Never", pod.RestartPolicy);
        Assert.Equal("trainer", pod.ServiceAccountName);
        var container = Assert.Single(pod.Containers);
        Assert.Equal("registry.example/train:1.2", container.Image);
        Assert.Equal(["/bin/sh"], container.Command);
        Assert.Equal("-c", container.Args[0]);
        Assert.Equal("250m", container.Resources.Requests["cpu"].ToString());
        Assert.Equal("1Gi", container.Resources.Limits["memory"].ToString());
        var env = container.Env.ToDictionary(v => v.Name, v => v.Value);
        Assert.Equal("hello", env["GREETING"]);
        Assert.Equal(runId, env["MLFLOW_RUN_ID"]);
        Assert.Equal(id, env["STRATA_JOB_EXECUTION_ID"]);
        Assert.Equal("http://strata.strata.svc:5000", env["MLFLOW_TRACKING_URI"]);

        // Every call carried the kubeconfig's token (the fake answers 401 otherwise) and a finished Job is left to its TTL.
        Assert.Contains(_kube.Requests, r => r.StartsWith("POST /apis/batch/v1/namespaces/strata-test/jobs", StringComparison.Ordinal));
        Assert.DoesNotContain(_kube.Requests, r => r.StartsWith("DELETE", StringComparison.Ordinal));

        var run = (await _server.GetAsync($"/api/2.0/mlflow/runs/get?run_id={runId}")).Ok().GetProperty("run");
        Assert.Equal("FINISHED", run.GetProperty("info").GetProperty("status").GetString());
        var tags = run.GetProperty("data").GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("key").GetString()!, t => t.GetProperty("value").GetString());
        Assert.Equal("kubernetes", tags["strata.job.runner"]);
        Assert.Equal("0", tags["strata.job.exit_code"]);
    }

    [Fact]
    public async Task A_non_zero_exit_fails_the_execution_with_the_pods_exit_code()
    {
        var name = NewName();
        await CreateAsync(new { name, runner = "kubernetes", command = "/bin/sh", args = new[] { "-c", "echo bad input; exit 3" }, kubernetes = new { image = "busybox:1.36", @namespace = "ml-jobs" } });
        var id = (await RunAsync(name)).GetProperty("execution_id").GetString()!;
        var done = await WaitForEndAsync(id);
        Assert.Equal("failed", done.GetProperty("status").GetString());
        Assert.Equal(3, done.GetProperty("exit_code").GetInt32());
        Assert.Equal("exit code 3", done.GetProperty("error").GetString());
        Assert.Contains("bad input", await StdoutAsync(id));
        Assert.Equal("ml-jobs", _kube.Created[KubernetesJobTemplate.JobName(id)].Metadata.NamespaceProperty);
        Assert.Null(_kube.Created[KubernetesJobTemplate.JobName(id)].Spec.ActiveDeadlineSeconds); // no timeout, no deadline
    }

    [Fact]
    public async Task Cancel_deletes_the_Job_with_background_propagation_and_kills_its_pod()
    {
        var name = NewName();
        await CreateAsync(new { name, runner = "kubernetes", command = "/bin/sh", args = new[] { "-c", "echo started; sleep 60" }, kubernetes = new { image = "busybox:1.36" } });
        var id = (await RunAsync(name)).GetProperty("execution_id").GetString()!;
        var jobName = KubernetesJobTemplate.JobName(id);
        await WaitUntilAsync(() => _kube.IsRunning(jobName));

        (await _server.PostAsync($"{Api}/executions/{id}/cancel", "{}")).Ok();
        var done = await WaitForEndAsync(id);
        Assert.Equal("cancelled", done.GetProperty("status").GetString());
        Assert.Contains(_kube.Requests, r => r == $"DELETE /apis/batch/v1/namespaces/strata-test/jobs/{jobName}?propagationPolicy=Background");
        Assert.False(_kube.AnyProcessRunning);
        Assert.Null(_kube.Pod(jobName));
        Assert.Contains("started", await StdoutAsync(id)); // read before the Job went
    }

    [Fact]
    public async Task A_job_past_its_timeout_ends_timed_out_and_its_Job_is_gone()
    {
        var name = NewName();
        await CreateAsync(new { name, runner = "kubernetes", command = "/bin/sh", args = new[] { "-c", "sleep 60" }, timeout_seconds = 1, kubernetes = new { image = "busybox:1.36" } });
        var id = (await RunAsync(name)).GetProperty("execution_id").GetString()!;
        var done = await WaitForEndAsync(id);
        Assert.Equal("timed_out", done.GetProperty("status").GetString());
        Assert.Equal(1, _kube.Created[KubernetesJobTemplate.JobName(id)].Spec.ActiveDeadlineSeconds);
        await WaitUntilAsync(() => !_kube.AnyProcessRunning);
        Assert.Contains(_kube.Requests, r => r.StartsWith($"DELETE /apis/batch/v1/namespaces/strata-test/jobs/{KubernetesJobTemplate.JobName(id)}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_pod_that_cannot_pull_its_image_fails_at_once_and_no_image_at_all_fails_with_the_reason()
    {
        var name = NewName();
        await CreateAsync(new { name, runner = "kubernetes", command = "/bin/true", kubernetes = new { image = "registry.example/does-not-exist:1" } });
        var id = (await RunAsync(name)).GetProperty("execution_id").GetString()!;
        var done = await WaitForEndAsync(id);
        Assert.Equal("failed", done.GetProperty("status").GetString());
        Assert.Contains("ErrImagePull", done.GetProperty("error").GetString());

        var bare = NewName();
        await CreateAsync(new { name = bare, runner = "kubernetes", command = "/bin/true" });
        var noImage = await WaitForEndAsync((await RunAsync(bare)).GetProperty("execution_id").GetString()!);
        Assert.Equal("failed", noImage.GetProperty("status").GetString());
        Assert.Contains("--jobs-kubernetes-image", noImage.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_dead_replicas_Job_is_deleted_by_the_replica_that_fails_its_execution()
    {
        var name = NewName();
        await CreateAsync(new { name, runner = "kubernetes", command = "/bin/sh", args = new[] { "-c", "sleep 60" }, kubernetes = new { image = "busybox:1.36" } });
        var id = (await RunAsync(name)).GetProperty("execution_id").GetString()!;
        var jobName = KubernetesJobTemplate.JobName(id);
        await WaitUntilAsync(() => _kube.IsRunning(jobName));

        var execution = await _server.Services.GetRequiredService<IJobStore>().GetExecutionAsync(id, default);
        var runner = _server.Services.GetServices<IJobRunner>().Single(r => r.Kind == JobRunners.Kubernetes);
        await runner.AbandonAsync(execution!, default);
        Assert.Contains(_kube.Requests, r => r == $"DELETE /apis/batch/v1/namespaces/strata-test/jobs/{jobName}?propagationPolicy=Background");
        await WaitUntilAsync(() => !_kube.IsRunning(jobName));

        // The replica still running it sees its Job gone and records that.
        var done = await WaitForEndAsync(id);
        Assert.Equal("failed", done.GetProperty("status").GetString());
        Assert.Contains("deleted outside Strata", done.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Bad_kubernetes_fields_are_a_400_naming_the_field()
    {
        var name = NewName();
        var cases = new object[]
        {
            new { name, command = "x", runner = "docker" },
            new { name, command = "x", runner = "kubernetes", kubernetes = "busybox" },
            new { name, command = "x", runner = "kubernetes", kubernetes = new { @namespace = "Not_A_Namespace" } },
            new { name, command = "x", runner = "kubernetes", kubernetes = new { image = "has space" } },
            new { name, command = "x", runner = "kubernetes", kubernetes = new { service_account = "UPPER" } },
            new { name, command = "x", runner = "kubernetes", kubernetes = new { resources = new { limits = new { memory = "lots" } } } },
            new { name, command = "x", runner = "kubernetes", kubernetes = new { resources = new { requests = "1" } } },
        };
        foreach (var body in cases)
        {
            (await _server.PostAsync(Api, body)).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        }

        // A job can move between runners; its kubernetes fields stay for when it comes back.
        await CreateAsync(new { name, command = "/bin/true", runner = "kubernetes", kubernetes = new { image = "busybox:1.36" } });
        var local = (await _server.PatchAsync($"{Api}/{name}", new { runner = "local" })).Ok().GetProperty("job");
        Assert.Equal("local", local.GetProperty("runner").GetString());
        Assert.Equal("busybox:1.36", local.GetProperty("kubernetes").GetProperty("image").GetString());
    }

    private static async Task WaitUntilAsync(Func<bool> condition, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(25);
        }
    }
}
