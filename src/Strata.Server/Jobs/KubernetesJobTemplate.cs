using System.Reflection;
using k8s;
using k8s.Models;
using Strata.Core.Jobs;

namespace Strata.Server.Jobs;

/// <summary>
/// Turns the Job manifest template (<c>deploy/kubernetes/job-execution.yaml</c>, or the operator's copy) into one
/// execution's <c>batch/v1</c> Job. The template is parsed, never text-substituted, so nothing in a job's command,
/// args or env can change the manifest's structure; Strata sets the fields it owns and keeps everything else.
/// </summary>
internal sealed class KubernetesJobTemplate
{
    public const string ExecutionLabel = "strata.execution-id";
    public const string JobLabel = "strata.job-name";
    public const string JobAnnotation = "strata.job-name";

    private const string BuiltInResource = "Strata.Server.Jobs.job-execution.yaml";

    private readonly string _yaml;

    public KubernetesJobTemplate(string yaml)
    {
        _yaml = yaml;
        // Fail at start-up, not at the first execution.
        _ = Parse();
    }

    /// <summary>The template from <paramref name="path"/>, or the built-in one.</summary>
    public static KubernetesJobTemplate Load(string? path)
    {
        if (path is not null)
        {
            return new KubernetesJobTemplate(File.ReadAllText(path));
        }

        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(BuiltInResource)
            ?? throw new InvalidOperationException($"the built-in Job template {BuiltInResource} is missing from the assembly");
        using var reader = new StreamReader(stream);
        return new KubernetesJobTemplate(reader.ReadToEnd());
    }

    /// <summary>The Job's name for an execution: stable, so any replica can find (and delete) it.</summary>
    public static string JobName(string executionId) => "strata-" + executionId.ToLowerInvariant();

    /// <summary>The execution's Job: the template with the execution's name, labels, command, env, limits and deadline.</summary>
    public V1Job Render(JobExecution execution, JobSpec spec, string ns, string image, string? serviceAccount, IReadOnlyDictionary<string, string> env)
    {
        var job = Parse();
        job.ApiVersion = "batch/v1";
        job.Kind = "Job";
        job.Metadata ??= new V1ObjectMeta();
        job.Metadata.Name = JobName(execution.Id);
        job.Metadata.NamespaceProperty = ns;
        job.Metadata.GenerateName = null;
        Label(job.Metadata, execution);

        job.Spec ??= new V1JobSpec();
        // One attempt: a retry is a new execution, with its own run and record.
        job.Spec.BackoffLimit = 0;
        job.Spec.ActiveDeadlineSeconds = spec.TimeoutMs is { } ms ? Math.Max(1, ms / 1000) : null;
        job.Spec.TtlSecondsAfterFinished ??= 3600;
        job.Spec.Template ??= new V1PodTemplateSpec();
        job.Spec.Template.Metadata ??= new V1ObjectMeta();
        Label(job.Spec.Template.Metadata, execution);
        var pod = job.Spec.Template.Spec ??= new V1PodSpec();
        pod.RestartPolicy = "Never";
        if (serviceAccount is not null)
        {
            pod.ServiceAccountName = serviceAccount;
        }

        pod.Containers ??= [];
        if (pod.Containers.Count == 0)
        {
            pod.Containers.Add(new V1Container { Name = "job" });
        }

        var container = pod.Containers[0];
        container.Name ??= "job";
        container.Image = image;
        container.Command = [spec.Command];
        container.Args = [.. spec.Args];
        var vars = (container.Env ?? []).Where(v => !env.ContainsKey(v.Name)).ToList();
        vars.AddRange(env.Select(kv => new V1EnvVar { Name = kv.Key, Value = kv.Value }));
        container.Env = vars;
        if (spec.Kubernetes is { Requests: not null } or { Limits: not null })
        {
            container.Resources ??= new V1ResourceRequirements();
            container.Resources.Requests = Quantities(container.Resources.Requests, spec.Kubernetes.Requests);
            container.Resources.Limits = Quantities(container.Resources.Limits, spec.Kubernetes.Limits);
        }

        return job;
    }

    private V1Job Parse()
    {
        V1Job? job;
        try
        {
            job = KubernetesYaml.Deserialize<V1Job>(_yaml);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"The Kubernetes Job template is not a batch/v1 Job manifest: {e.Message}", e);
        }

        return job ?? throw new InvalidOperationException("The Kubernetes Job template is empty.");
    }

    private static void Label(V1ObjectMeta metadata, JobExecution execution)
    {
        metadata.Labels ??= new Dictionary<string, string>();
        metadata.Labels[ExecutionLabel] = execution.Id;
        metadata.Labels[JobLabel] = LabelValue(execution.JobName);
        metadata.Annotations ??= new Dictionary<string, string>();
        metadata.Annotations[JobAnnotation] = execution.JobName;
    }

    // A label value is at most 63 characters and starts and ends with a letter or digit; a job name may be 64.
    private static string LabelValue(string value) => value.Length <= 63 ? value : value[..63].TrimEnd('-', '_', '.');

    private static IDictionary<string, ResourceQuantity>? Quantities(IDictionary<string, ResourceQuantity>? template, IReadOnlyDictionary<string, string>? given)
    {
        if (given is null)
        {
            return template;
        }

        var result = template is null ? new Dictionary<string, ResourceQuantity>() : new Dictionary<string, ResourceQuantity>(template);
        foreach (var (name, quantity) in given)
        {
            result[name] = new ResourceQuantity(quantity);
        }

        return result;
    }
}
