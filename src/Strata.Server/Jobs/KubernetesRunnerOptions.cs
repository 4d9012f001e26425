namespace Strata.Server.Jobs;

/// <summary>
/// Defaults and connection of the Kubernetes Job runner (part of <see cref="JobsOptions"/>): a job's own
/// <c>kubernetes</c> fields win over these.
/// </summary>
public sealed class KubernetesRunnerOptions
{
    /// <summary>The namespace Jobs are created in (<c>--jobs-kubernetes-namespace</c>); default: this pod's own namespace in a cluster, else <c>default</c>.</summary>
    public string? Namespace { get; set; }

    /// <summary>The container image of executions whose job names none (<c>--jobs-kubernetes-image</c>).</summary>
    public string? Image { get; set; }

    /// <summary>The service account the pods run as when the job names none (<c>--jobs-kubernetes-service-account</c>).</summary>
    public string? ServiceAccount { get; set; }

    /// <summary>
    /// A kubeconfig file (<c>--jobs-kubernetes-kubeconfig</c>); unset: the in-cluster service account when running in
    /// a pod, else <c>$KUBECONFIG</c> or <c>~/.kube/config</c>.
    /// </summary>
    public string? Kubeconfig { get; set; }

    /// <summary>The Job manifest to start from (<c>--jobs-kubernetes-template</c>); unset: the built-in <c>deploy/kubernetes/job-execution.yaml</c>.</summary>
    public string? Template { get; set; }

    /// <summary>
    /// <c>MLFLOW_TRACKING_URI</c> given to the pods (<c>--jobs-kubernetes-tracking-uri</c>), e.g. the server's Service
    /// address; a pod cannot reach the replica's own listening address. Unset: only what the job's env says.
    /// </summary>
    public string? TrackingUri { get; set; }

    /// <summary>How often a running execution's Job is read back.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);
}
