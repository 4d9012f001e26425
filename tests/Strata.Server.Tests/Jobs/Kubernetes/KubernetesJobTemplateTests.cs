using k8s;
using k8s.Models;
using Strata.Core.Jobs;
using Strata.Server.Jobs;
using YamlDotNet.RepresentationModel;

namespace Strata.Server.Tests.Jobs.Kubernetes;

/// <summary>The Job manifest an execution becomes: rendered from the template, written as YAML, parsed back with every field.</summary>
public sealed class KubernetesJobTemplateTests
{
    private static readonly JobExecution Execution = new(
        "0123456789abcdef0123456789abcdef", "job-id", "nightly-train", JobTriggers.Schedule, 1_700_000_000_000, null, null,
        JobExecutionStatus.Running, "run-1", "r1", 1, 2, null, null, false, null);

    private static JobSpec Spec(long? timeoutMs = 900_000) => new(
        "python", ["train.py", "--epochs", "3"], new Dictionary<string, string> { ["A"] = "1" }, null, timeoutMs, "0", "0 3 * * *", null, [], null, true, null,
        JobRunners.Kubernetes,
        new KubernetesJobSpec("registry.example/train:1", "ml", "trainer", new Dictionary<string, string> { ["cpu"] = "500m" }, new Dictionary<string, string> { ["memory"] = "2Gi" }));

    private static readonly Dictionary<string, string> Env = new() { ["A"] = "1", ["MLFLOW_RUN_ID"] = "run-1" };

    [Fact]
    public void The_built_in_template_renders_to_yaml_that_parses_back_with_every_field()
    {
        var job = KubernetesJobTemplate.Load(null).Render(Execution, Spec(), "ml", "registry.example/train:1", "trainer", Env);
        var yaml = KubernetesYaml.Serialize(job);

        // Plain YAML first (what kubectl apply would read), then the typed model.
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var root = (YamlMappingNode)stream.Documents.Single().RootNode;
        Assert.Equal("batch/v1", root["apiVersion"].ToString());
        Assert.Equal("Job", root["kind"].ToString());

        var parsed = KubernetesYaml.Deserialize<V1Job>(yaml);
        Assert.Equal("strata-0123456789abcdef0123456789abcdef", parsed.Metadata.Name);
        Assert.Equal("ml", parsed.Metadata.NamespaceProperty);
        Assert.Equal(Execution.Id, parsed.Metadata.Labels[KubernetesJobTemplate.ExecutionLabel]);
        Assert.Equal("nightly-train", parsed.Metadata.Labels[KubernetesJobTemplate.JobLabel]);
        Assert.Equal("nightly-train", parsed.Metadata.Annotations[KubernetesJobTemplate.JobAnnotation]);
        Assert.Equal("strata", parsed.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Equal(900, parsed.Spec.ActiveDeadlineSeconds);
        Assert.Equal(0, parsed.Spec.BackoffLimit);
        Assert.Equal(3600, parsed.Spec.TtlSecondsAfterFinished);
        Assert.Equal(Execution.Id, parsed.Spec.Template.Metadata.Labels[KubernetesJobTemplate.ExecutionLabel]);
        var pod = parsed.Spec.Template.Spec;
        Assert.Equal("Never", pod.RestartPolicy);
        Assert.Equal("trainer", pod.ServiceAccountName);
        Assert.False(pod.AutomountServiceAccountToken); // kept from the template
        var container = Assert.Single(pod.Containers);
        Assert.Equal("job", container.Name);
        Assert.Equal("registry.example/train:1", container.Image);
        Assert.Equal("IfNotPresent", container.ImagePullPolicy);
        Assert.Equal(["python"], container.Command);
        Assert.Equal(["train.py", "--epochs", "3"], container.Args);
        Assert.Equal(Env, container.Env.ToDictionary(v => v.Name, v => v.Value));
        Assert.Equal("500m", container.Resources.Requests["cpu"].ToString());
        Assert.Equal("2Gi", container.Resources.Limits["memory"].ToString());
    }

    [Fact]
    public void An_operators_template_keeps_its_own_fields_and_strata_owns_the_rest()
    {
        const string custom = """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: ignored
              labels:
                team: ml
            spec:
              backoffLimit: 6
              ttlSecondsAfterFinished: 60
              template:
                spec:
                  restartPolicy: OnFailure
                  nodeSelector:
                    gpu: "true"
                  containers:
                    - name: trainer
                      image: ignored
                      env:
                        - name: A
                          value: from-template
                        - name: KEEP
                          value: kept
                      resources:
                        limits:
                          nvidia.com/gpu: "1"
                  tolerations:
                    - key: gpu
                      operator: Exists
            """;
        var job = new KubernetesJobTemplate(custom).Render(Execution, Spec(timeoutMs: null), "ml", "img:2", null, Env);
        var parsed = KubernetesYaml.Deserialize<V1Job>(KubernetesYaml.Serialize(job));
        Assert.Equal("ml", parsed.Metadata.Labels["team"]);
        Assert.Equal(0, parsed.Spec.BackoffLimit); // one attempt, whatever the template says
        Assert.Null(parsed.Spec.ActiveDeadlineSeconds);
        Assert.Equal(60, parsed.Spec.TtlSecondsAfterFinished);
        var pod = parsed.Spec.Template.Spec;
        Assert.Equal("Never", pod.RestartPolicy);
        Assert.Equal("true", pod.NodeSelector["gpu"]);
        Assert.Equal("gpu", Assert.Single(pod.Tolerations).Key);
        Assert.Null(pod.ServiceAccountName);
        var container = Assert.Single(pod.Containers);
        Assert.Equal("trainer", container.Name);
        Assert.Equal("img:2", container.Image);
        var env = container.Env.ToDictionary(v => v.Name, v => v.Value);
        Assert.Equal("1", env["A"]); // the job's value wins
        Assert.Equal("kept", env["KEEP"]);
        Assert.Equal("1", container.Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Equal("2Gi", container.Resources.Limits["memory"].ToString());
        Assert.Equal(Execution.Id, parsed.Spec.Template.Metadata.Labels[KubernetesJobTemplate.ExecutionLabel]);
    }

    [Fact]
    public void Command_text_cannot_change_the_manifest_and_long_names_stay_valid_labels()
    {
        var hostile = Spec() with { Command = "sh\nkind: Pod", Args = ["}: {", "- name: X"] };
        var longName = Execution with { JobName = new string('a', 62) + "-b" + "c" };
        var job = KubernetesJobTemplate.Load(null).Render(longName, hostile, "ml", "img", null, Env);
        var parsed = KubernetesYaml.Deserialize<V1Job>(KubernetesYaml.Serialize(job));
        Assert.Equal("Job", parsed.Kind);
        Assert.Equal(["sh\nkind: Pod"], parsed.Spec.Template.Spec.Containers[0].Command);
        Assert.Equal(["}: {", "- name: X"], parsed.Spec.Template.Spec.Containers[0].Args);
        var label = parsed.Metadata.Labels[KubernetesJobTemplate.JobLabel];
        Assert.True(label.Length <= 63);
        Assert.True(char.IsLetterOrDigit(label[^1]));
        Assert.Equal(longName.JobName, parsed.Metadata.Annotations[KubernetesJobTemplate.JobAnnotation]);
    }

    [Fact]
    public void The_deploy_folder_template_is_the_built_in_one_and_a_broken_template_fails_at_load()
    {
        var repoTemplate = Path.Combine(RepoRoot(), "deploy", "kubernetes", "job-execution.yaml");
        var fromFile = KubernetesJobTemplate.Load(repoTemplate).Render(Execution, Spec(), "ml", "img", null, Env);
        var builtIn = KubernetesJobTemplate.Load(null).Render(Execution, Spec(), "ml", "img", null, Env);
        Assert.Equal(KubernetesYaml.Serialize(builtIn), KubernetesYaml.Serialize(fromFile));
        Assert.Throws<InvalidOperationException>(() => new KubernetesJobTemplate("spec: [unclosed"));
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Strata.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("the repository root was not found");
    }
}
