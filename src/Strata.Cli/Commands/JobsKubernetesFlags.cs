using System.CommandLine;
using Strata.Server.Jobs;

namespace Strata.Cli.Commands;

/// <summary>
/// <c>strata server</c>'s defaults for jobs with <c>runner: kubernetes</c> (each also an environment variable,
/// <c>STRATA_JOBS_KUBERNETES_*</c>); a job's own <c>kubernetes</c> fields win over them.
/// </summary>
internal sealed class JobsKubernetesFlags
{
    private readonly Option<string?> _namespace = new("--jobs-kubernetes-namespace") { Description = "Namespace of the Kubernetes Jobs (default: the server pod's own, else the kubeconfig context's, else default)." };
    private readonly Option<string?> _image = new("--jobs-kubernetes-image") { Description = "Container image of executions whose job names none." };
    private readonly Option<string?> _serviceAccount = new("--jobs-kubernetes-service-account") { Description = "Service account of the execution pods when the job names none." };
    private readonly Option<string?> _kubeconfig = new("--jobs-kubernetes-kubeconfig") { Description = "A kubeconfig file (default: the in-cluster service account, else $KUBECONFIG or ~/.kube/config)." };
    private readonly Option<string?> _template = new("--jobs-kubernetes-template") { Description = "The Job manifest each execution starts from (default: the built-in deploy/kubernetes/job-execution.yaml)." };
    private readonly Option<string?> _trackingUri = new("--jobs-kubernetes-tracking-uri") { Description = "MLFLOW_TRACKING_URI given to the execution pods, e.g. http://strata.strata.svc:5000." };

    public IEnumerable<Option> All => [_namespace, _image, _serviceAccount, _kubeconfig, _template, _trackingUri];

    public void Apply(KubernetesRunnerOptions options, ParseResult parse)
    {
        options.Namespace = parse.GetValue(_namespace) ?? options.Namespace;
        options.Image = parse.GetValue(_image) ?? options.Image;
        options.ServiceAccount = parse.GetValue(_serviceAccount) ?? options.ServiceAccount;
        options.Kubeconfig = parse.GetValue(_kubeconfig) ?? options.Kubeconfig;
        options.Template = parse.GetValue(_template) ?? options.Template;
        options.TrackingUri = parse.GetValue(_trackingUri) ?? options.TrackingUri;
    }
}
