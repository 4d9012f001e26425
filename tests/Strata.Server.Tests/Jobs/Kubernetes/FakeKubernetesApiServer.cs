using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Strata.Server.Tests.Jobs.Kubernetes;

/// <summary>
/// A small Kubernetes API server on 127.0.0.1 for the Job runner's tests (no cluster exists on the test machines):
/// the subset the runner uses — create, read and delete a <c>batch/v1</c> Job, list pods by label, read a pod's log —
/// with the real API paths and JSON shapes (the KubernetesClient models serialize them). Its "kubelet" runs each
/// Job's container command as a local process, so a pod really goes Pending → Running → Succeeded/Failed with the
/// program's exit code and its combined stdout/stderr as the log; <c>activeDeadlineSeconds</c> kills it and fails
/// the Job with <c>DeadlineExceeded</c>; deleting a Job with Background/Foreground propagation kills and removes its
/// pod, as the garbage collector would (Orphan leaves it running). An image whose name contains
/// <c>does-not-exist</c> never pulls (<c>ErrImagePull</c>). Requests must carry the kubeconfig's bearer token.
/// </summary>
public sealed class FakeKubernetesApiServer : IAsyncDisposable
{
    public const string Token = "fake-kubernetes-token";
    public const string ContextNamespace = "strata-test";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<(string Namespace, string Name), FakeJob> _jobs = new();
    private readonly string _directory;

    private FakeKubernetesApiServer(WebApplication app, string directory, string kubeconfig)
    {
        _app = app;
        _directory = directory;
        Kubeconfig = kubeconfig;
    }

    /// <summary>A kubeconfig file pointing at this server, with a bearer token and <see cref="ContextNamespace"/> as the context's namespace.</summary>
    public string Kubeconfig { get; }

    /// <summary>Every request as "METHOD path?query", in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>The Jobs as created (the manifests the runner sent), by name, including deleted ones.</summary>
    public ConcurrentDictionary<string, V1Job> Created { get; } = new();

    public static async Task<FakeKubernetesApiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var directory = Directory.CreateTempSubdirectory("strata-fake-k8s-").FullName;
        FakeKubernetesApiServer? server = null;
        app.Use(async (ctx, next) =>
        {
            server!.Requests.Enqueue($"{ctx.Request.Method} {ctx.Request.Path}{ctx.Request.QueryString}");
            if (ctx.Request.Headers.Authorization.ToString() != "Bearer " + Token)
            {
                await WriteStatusAsync(ctx, 401, "Unauthorized", "Unauthorized");
                return;
            }

            await next(ctx);
        });
        app.MapPost("/apis/batch/v1/namespaces/{ns}/jobs", (string ns, HttpContext ctx) => server!.CreateJobAsync(ns, ctx));
        app.MapGet("/apis/batch/v1/namespaces/{ns}/jobs/{name}", (string ns, string name, HttpContext ctx) => server!.ReadJobAsync(ns, name, ctx));
        app.MapDelete("/apis/batch/v1/namespaces/{ns}/jobs/{name}", (string ns, string name, HttpContext ctx) => server!.DeleteJobAsync(ns, name, ctx));
        app.MapGet("/api/v1/namespaces/{ns}/pods", (string ns, HttpContext ctx) => server!.ListPodsAsync(ns, ctx));
        app.MapGet("/api/v1/namespaces/{ns}/pods/{name}/log", (string ns, string name, HttpContext ctx) => server!.ReadLogAsync(ns, name, ctx));
        app.MapFallback((HttpContext ctx) => WriteStatusAsync(ctx, 404, "NotFound", $"the fake API server does not serve {ctx.Request.Method} {ctx.Request.Path}"));
        await app.StartAsync();
        var address = app.ListeningAddresses().First();
        var kubeconfig = Path.Combine(directory, "kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: {address}
            users:
            - name: strata
              user:
                token: {Token}
            contexts:
            - name: fake
              context:
                cluster: fake
                user: strata
                namespace: {ContextNamespace}
            current-context: fake
            """);
        server = new FakeKubernetesApiServer(app, directory, kubeconfig);
        return server;
    }

    /// <summary>The pod of the Job as it stands (null once deleted).</summary>
    public V1Pod? Pod(string jobName) => _jobs.Values.FirstOrDefault(j => j.Job.Metadata.Name == jobName)?.PodSnapshot();

    /// <summary>Whether the Job's program is still running (false once it ended or was killed).</summary>
    public bool IsRunning(string jobName) => _jobs.Values.Any(j => j.Job.Metadata.Name == jobName && j.ProcessRunning);

    /// <summary>Whether any program started for any Job is still running (a deleted Job's included).</summary>
    public bool AnyProcessRunning => _all.Any(j => j.ProcessRunning);

    private readonly ConcurrentBag<FakeJob> _all = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var job in _all)
        {
            job.Kill();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task CreateJobAsync(string ns, HttpContext ctx)
    {
        using var reader = new StreamReader(ctx.Request.Body);
        var job = KubernetesJson.Deserialize<V1Job>(await reader.ReadToEndAsync());
        var name = job.Metadata?.Name;
        if (string.IsNullOrEmpty(name) || job.Spec?.Template?.Spec?.Containers is not { Count: > 0 })
        {
            await WriteStatusAsync(ctx, 422, "Invalid", "Job.batch is invalid: metadata.name and spec.template.spec.containers are required");
            return;
        }

        if (job.Metadata!.NamespaceProperty is { } given && given != ns)
        {
            await WriteStatusAsync(ctx, 400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
            return;
        }

        Created[name] = KubernetesJson.Deserialize<V1Job>(KubernetesJson.Serialize(job));
        job.Metadata.NamespaceProperty = ns;
        job.Metadata.Uid = Guid.NewGuid().ToString();
        job.Metadata.CreationTimestamp = DateTime.UtcNow;
        job.Status = new V1JobStatus();
        var fake = new FakeJob(job);
        if (!_jobs.TryAdd((ns, name), fake))
        {
            await WriteStatusAsync(ctx, 409, "AlreadyExists", $"jobs.batch \"{name}\" already exists");
            return;
        }

        _all.Add(fake);
        fake.Start();
        await WriteAsync(ctx, 201, fake.JobSnapshot());
    }

    private async Task ReadJobAsync(string ns, string name, HttpContext ctx)
    {
        if (!_jobs.TryGetValue((ns, name), out var fake))
        {
            await WriteStatusAsync(ctx, 404, "NotFound", $"jobs.batch \"{name}\" not found");
            return;
        }

        await WriteAsync(ctx, 200, fake.JobSnapshot());
    }

    private async Task DeleteJobAsync(string ns, string name, HttpContext ctx)
    {
        if (!_jobs.TryRemove((ns, name), out var fake))
        {
            await WriteStatusAsync(ctx, 404, "NotFound", $"jobs.batch \"{name}\" not found");
            return;
        }

        var propagation = ctx.Request.Query["propagationPolicy"].ToString();
        if (ctx.Request.ContentLength > 0)
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync();
            if (body.Length > 0 && KubernetesJson.Deserialize<V1DeleteOptions>(body)?.PropagationPolicy is { } fromBody)
            {
                propagation = fromBody;
            }
        }

        // The API's default for a Job deleted without a policy is Orphan: its pod keeps running.
        if (propagation is "Background" or "Foreground")
        {
            fake.Kill();
            fake.PodDeleted = true;
        }
        else
        {
            _orphans.Add(fake);
        }

        await WriteAsync(ctx, 200, Status("Success", 200, null, null, new { name, group = "batch", kind = "jobs" }));
    }

    private readonly ConcurrentBag<FakeJob> _orphans = [];

    private async Task ListPodsAsync(string ns, HttpContext ctx)
    {
        var selector = ctx.Request.Query["labelSelector"].ToString()
            .Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => s.Split('=', 2))
            .ToList();
        var pods = _jobs.Where(j => j.Key.Namespace == ns).Select(j => j.Value).Concat(_orphans.Where(o => o.Job.Metadata.NamespaceProperty == ns))
            .Where(j => !j.PodDeleted)
            .Select(j => j.PodSnapshot())
            .Where(p => selector.All(s => s.Length == 2 && p.Metadata.Labels.TryGetValue(s[0], out var v) && v == s[1]))
            .ToList();
        await WriteAsync(ctx, 200, new V1PodList { ApiVersion = "v1", Kind = "PodList", Metadata = new V1ListMeta { ResourceVersion = "1" }, Items = pods });
    }

    private async Task ReadLogAsync(string ns, string name, HttpContext ctx)
    {
        var fake = _jobs.Values.Concat(_orphans).FirstOrDefault(j => j.PodName == name && j.Job.Metadata.NamespaceProperty == ns && !j.PodDeleted);
        if (fake is null)
        {
            await WriteStatusAsync(ctx, 404, "NotFound", $"pods \"{name}\" not found");
            return;
        }

        var container = ctx.Request.Query["container"].ToString();
        if (container.Length > 0 && container != fake.ContainerName)
        {
            await WriteStatusAsync(ctx, 400, "BadRequest", $"container {container} is not valid for pod {name}");
            return;
        }

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/plain";
        await ctx.Response.WriteAsync(fake.Log());
    }

    private static async Task WriteAsync(HttpContext ctx, int status, object body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body is System.Text.Json.Nodes.JsonNode node ? node.ToJsonString() : KubernetesJson.Serialize(body));
    }

    private static Task WriteStatusAsync(HttpContext ctx, int code, string reason, string message) =>
        WriteAsync(ctx, code, Status("Failure", code, reason, message, null));

    // The client library's V1Status only reads (its converter cannot write), so the Status shape is written by hand.
    private static System.Text.Json.Nodes.JsonObject Status(string status, int code, string? reason, string? message, object? details)
    {
        var o = new System.Text.Json.Nodes.JsonObject
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new System.Text.Json.Nodes.JsonObject(), ["status"] = status, ["code"] = code,
        };
        if (reason is not null)
        {
            o["reason"] = reason;
            o["message"] = message;
        }

        if (details is not null)
        {
            o["details"] = System.Text.Json.JsonSerializer.SerializeToNode(details);
        }

        return o;
    }

    /// <summary>One Job, its one pod, and the local process standing in for the pod's container.</summary>
    private sealed class FakeJob(V1Job job)
    {
        private readonly Lock _lock = new();
        private readonly StringBuilder _log = new();
        private Process? _process;
        private string _phase = "Pending";
        private V1ContainerState _state = new() { Waiting = new V1ContainerStateWaiting { Reason = "ContainerCreating" } };
        private DateTime? _started;
        private bool _deadlineExceeded;
        private bool _ended;

        public V1Job Job { get; } = job;

        public string PodName { get; } = job.Metadata.Name + "-" + Guid.NewGuid().ToString("N")[..5];

        public string ContainerName => Job.Spec.Template.Spec.Containers[0].Name;

        public bool PodDeleted { get; set; }

        public bool ProcessRunning
        {
            get
            {
                lock (_lock)
                {
                    return _process is { HasExited: false };
                }
            }
        }

        public void Start() => _ = Task.Run(async () =>
        {
            await Task.Delay(50);
            var container = Job.Spec.Template.Spec.Containers[0];
            if (container.Image?.Contains("does-not-exist", StringComparison.Ordinal) == true)
            {
                lock (_lock)
                {
                    _state = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ErrImagePull", Message = $"rpc error: pull access denied for {container.Image}" } };
                }

                return;
            }

            var info = new ProcessStartInfo(container.Command[0])
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            foreach (var a in container.Args ?? [])
            {
                info.ArgumentList.Add(a);
            }

            foreach (var v in container.Env ?? [])
            {
                info.Environment[v.Name] = v.Value;
            }

            var process = new Process { StartInfo = info };
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            lock (_lock)
            {
                if (PodDeleted)
                {
                    return;
                }

                process.Start();
                _process = process;
                _phase = "Running";
                _started = DateTime.UtcNow;
                _state = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = _started } };
            }

            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var exited = process.WaitForExitAsync();
            if (Job.Spec.ActiveDeadlineSeconds is { } deadline
                && await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(deadline))) != exited)
            {
                lock (_lock)
                {
                    _deadlineExceeded = true;
                }

                Kill();
            }

            await exited;
            process.WaitForExit(); // the output events have all been raised after this
            lock (_lock)
            {
                _ended = true;
                var code = process.ExitCode;
                _phase = code == 0 && !_deadlineExceeded ? "Succeeded" : "Failed";
                _state = new V1ContainerState
                {
                    Terminated = new V1ContainerStateTerminated
                    {
                        ExitCode = code, Reason = _deadlineExceeded ? "DeadlineExceeded" : code == 0 ? "Completed" : "Error", StartedAt = _started, FinishedAt = DateTime.UtcNow,
                    },
                };
            }
        });

        public void Kill()
        {
            lock (_lock)
            {
                try
                {
                    _process?.Kill(entireProcessTree: true);
                }
                catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                }
            }
        }

        public string Log()
        {
            lock (_lock)
            {
                return _log.ToString();
            }
        }

        public V1Job JobSnapshot()
        {
            var copy = KubernetesJson.Deserialize<V1Job>(KubernetesJson.Serialize(Job));
            lock (_lock)
            {
                var status = new V1JobStatus { StartTime = _started };
                if (!_ended)
                {
                    status.Active = _phase == "Running" || _phase == "Pending" ? 1 : 0;
                }
                else if (_phase == "Succeeded")
                {
                    status.Succeeded = 1;
                    status.CompletionTime = DateTime.UtcNow;
                    status.Conditions = [new V1JobCondition { Type = "Complete", Status = "True" }];
                }
                else
                {
                    status.Failed = 1;
                    status.Conditions = [new V1JobCondition
                    {
                        Type = "Failed", Status = "True",
                        Reason = _deadlineExceeded ? "DeadlineExceeded" : "BackoffLimitExceeded",
                        Message = _deadlineExceeded ? "Job was active longer than specified deadline" : "Job has reached the specified backoff limit",
                    }];
                }

                copy.Status = status;
            }

            return copy;
        }

        public V1Pod PodSnapshot()
        {
            var labels = new Dictionary<string, string>(Job.Spec.Template.Metadata?.Labels ?? new Dictionary<string, string>())
            {
                ["job-name"] = Job.Metadata.Name,
                ["controller-uid"] = Job.Metadata.Uid,
            };
            lock (_lock)
            {
                return new V1Pod
                {
                    ApiVersion = "v1",
                    Kind = "Pod",
                    Metadata = new V1ObjectMeta { Name = PodName, NamespaceProperty = Job.Metadata.NamespaceProperty, Labels = labels, CreationTimestamp = Job.Metadata.CreationTimestamp },
                    Spec = Job.Spec.Template.Spec,
                    Status = new V1PodStatus
                    {
                        Phase = _phase,
                        ContainerStatuses = [new V1ContainerStatus { Name = ContainerName, Image = Job.Spec.Template.Spec.Containers[0].Image, ImageID = string.Empty, Ready = _phase == "Running", RestartCount = 0, State = _state }],
                    },
                };
            }
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_lock)
            {
                _log.Append(line).Append('\n');
            }
        }
    }
}
