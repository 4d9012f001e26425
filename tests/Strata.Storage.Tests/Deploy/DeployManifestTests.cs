using YamlDotNet.RepresentationModel;

namespace Strata.Storage.Tests.Deploy;

/// <summary>
/// The files in deploy/ are not run here (no cluster, no Docker), so these checks guard what a
/// typo would silently break: probes, the secret wiring, labels, the upgrade job's command.
/// </summary>
public sealed class DeployManifestTests
{
    private static readonly string DeployDir = Path.Combine(RepositoryRoot(), "deploy");
    private static readonly string KubeDir = Path.Combine(DeployDir, "kubernetes");

    /// <summary>
    /// Manifests that `kubectl apply -k` leaves out on purpose: the server's template for each Kubernetes job execution
    /// (it renders and creates those Jobs itself), and the job runner's RBAC, which only teams using that runner add.
    /// </summary>
    private static readonly string[] NotApplied = ["job-execution.yaml", "jobs-rbac.yaml"];

    [Fact]
    public void Every_manifest_has_api_version_kind_and_name()
    {
        var docs = Directory.GetFiles(KubeDir, "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml").SelectMany(LoadAll).ToList();
        Assert.NotEmpty(docs);
        foreach (var doc in docs)
        {
            Assert.False(string.IsNullOrEmpty(Scalar(doc, "apiVersion")));
            Assert.False(string.IsNullOrEmpty(Scalar(doc, "kind")));
            Assert.False(string.IsNullOrEmpty(Scalar(doc, "metadata", "name")));
        }
    }

    [Fact]
    public void Kustomization_lists_every_manifest()
    {
        var kustomization = Load(Path.Combine(KubeDir, "kustomization.yaml"));
        var listed = Seq(kustomization, "resources").Select(n => ((YamlScalarNode)n).Value).Order().ToList();
        var files = Directory.GetFiles(KubeDir, "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml" && !NotApplied.Contains(f)).Order().ToList();
        Assert.Equal(files, listed);
    }

    [Fact]
    public void Job_runner_rbac_lets_its_service_account_run_jobs_and_read_their_pods_and_logs()
    {
        var docs = LoadAll(Path.Combine(KubeDir, "jobs-rbac.yaml"));
        var account = Assert.Single(docs, d => Scalar(d, "kind") == "ServiceAccount");
        var role = Assert.Single(docs, d => Scalar(d, "kind") == "Role");
        var binding = Assert.Single(docs, d => Scalar(d, "kind") == "RoleBinding");
        Assert.Equal(Scalar(role, "metadata", "name"), Scalar(binding, "roleRef", "name"));
        Assert.Equal(Scalar(account, "metadata", "name"), Scalar(Seq(binding, "subjects")[0], "name"));

        List<string> Verbs(string resource) => Seq(role, "rules")
            .Where(r => Seq(r, "resources").Any(n => ((YamlScalarNode)n).Value == resource))
            .SelectMany(r => Seq(r, "verbs").Select(n => ((YamlScalarNode)n).Value!)).ToList();
        Assert.Superset(new HashSet<string> { "create", "get", "delete" }, Verbs("jobs").ToHashSet());
        Assert.Superset(new HashSet<string> { "get", "list" }, Verbs("pods").ToHashSet());
        Assert.Contains("get", Verbs("pods/log"));
    }

    [Fact]
    public void Deployment_probes_health_on_its_http_port()
    {
        var container = OnlyContainer(Manifest("Deployment"));
        var portName = Scalar(Seq(container, "ports")[0], "name");
        Assert.Equal("5000", Scalar(Seq(container, "ports")[0], "containerPort"));
        foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
        {
            Assert.Equal("/health", Scalar(container, probe, "httpGet", "path"));
            Assert.Equal(portName, Scalar(container, probe, "httpGet", "port"));
        }
    }

    [Fact]
    public void Deployment_runs_the_server_on_all_interfaces_with_the_secret_uri()
    {
        var container = OnlyContainer(Manifest("Deployment"));
        var args = Args(container);
        Assert.Equal("server", args[0]);
        Assert.Equal("0.0.0.0", ValueAfter(args, "--host"));
        Assert.Equal("5000", ValueAfter(args, "--port"));
        AssertFromSecret(container, ValueAfter(args, "--backend-store-uri"), "backend-store-uri");
        AssertFromSecret(container, ValueAfter(args, "--artifacts-destination"), "artifacts-destination");
    }

    [Fact]
    public void Upgrade_job_runs_db_upgrade_against_the_secret_uri()
    {
        var job = Manifest("Job");
        Assert.Equal("Never", Scalar(job, "spec", "template", "spec", "restartPolicy"));
        var container = OnlyContainer(job);
        var args = Args(container);
        Assert.Equal(["db", "upgrade"], args.Take(2));
        AssertFromSecret(container, ValueAfter(args, "--backend-store-uri"), "backend-store-uri");
        Assert.Equal(Scalar(OnlyContainer(Manifest("Deployment")), "image"), Scalar(container, "image"));
    }

    [Fact]
    public void Service_selects_the_server_pods_and_targets_the_named_port()
    {
        var service = Manifest("Service");
        var deployment = Manifest("Deployment");
        var podLabels = Map(deployment, "spec", "template", "metadata", "labels");
        foreach (var (key, value) in Map(service, "spec", "selector").Children)
        {
            Assert.Equal(((YamlScalarNode)value).Value, Scalar(podLabels, ((YamlScalarNode)key).Value!));
        }

        Assert.Equal(Scalar(Map(deployment, "spec", "selector", "matchLabels")), Scalar(podLabels));
        Assert.Equal(Scalar(Seq(OnlyContainer(deployment), "ports")[0], "name"), Scalar(Seq(service, "spec", "ports")[0], "targetPort"));
    }

    [Fact]
    public void Autoscaler_targets_the_deployment()
    {
        var hpa = Manifest("HorizontalPodAutoscaler");
        Assert.Equal("Deployment", Scalar(hpa, "spec", "scaleTargetRef", "kind"));
        Assert.Equal(Scalar(Manifest("Deployment"), "metadata", "name"), Scalar(hpa, "spec", "scaleTargetRef", "name"));
        Assert.InRange(int.Parse(Scalar(hpa, "spec", "minReplicas")), 2, int.Parse(Scalar(hpa, "spec", "maxReplicas")));
        Assert.False(Map(Manifest("Deployment"), "spec").Children.ContainsKey(new YamlScalarNode("replicas")), "the HPA owns the replica count");
    }

    [Fact]
    public void Dockerfile_builds_with_the_sdk_and_runs_the_server_on_the_aspnet_runtime()
    {
        var lines = File.ReadAllLines(Path.Combine(DeployDir, "Dockerfile")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var froms = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, froms.Count);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0", froms[0], StringComparison.Ordinal);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:10.0", froms[1], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("RUN dotnet publish src/Strata.Cli/Strata.Cli.csproj", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("COPY --from=build", StringComparison.Ordinal));
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"strata.dll\"]", lines);
        Assert.Contains("CMD [\"server\", \"--host\", \"0.0.0.0\", \"--port\", \"5000\"]", lines);
        Assert.Contains("EXPOSE 5000", lines);
        Assert.Contains(lines, l => l.StartsWith("USER ", StringComparison.Ordinal));
    }

    /// <summary>The argument is "$(VAR)" and VAR comes from the manifest's Secret under <paramref name="key"/>.</summary>
    private static void AssertFromSecret(YamlMappingNode container, string argument, string key)
    {
        Assert.StartsWith("$(", argument, StringComparison.Ordinal);
        var variable = argument[2..^1];
        var env = Seq(container, "env").Cast<YamlMappingNode>().Single(e => Scalar(e, "name") == variable);
        var secret = Manifest("Secret");
        Assert.Equal(Scalar(secret, "metadata", "name"), Scalar(env, "valueFrom", "secretKeyRef", "name"));
        Assert.Equal(key, Scalar(env, "valueFrom", "secretKeyRef", "key"));
        Assert.False(string.IsNullOrWhiteSpace(Scalar(secret, "stringData", key)));
    }

    /// <summary>The one manifest of a kind among those the kustomization applies.</summary>
    private static YamlMappingNode Manifest(string kind) =>
        Seq(Load(Path.Combine(KubeDir, "kustomization.yaml")), "resources")
            .SelectMany(n => LoadAll(Path.Combine(KubeDir, ((YamlScalarNode)n).Value!)))
            .Single(d => Scalar(d, "kind") == kind);

    private static YamlMappingNode OnlyContainer(YamlMappingNode workload) =>
        (YamlMappingNode)Assert.Single(Seq(workload, "spec", "template", "spec", "containers"));

    private static List<string> Args(YamlMappingNode container) =>
        Seq(container, "args").Select(n => ((YamlScalarNode)n).Value!).ToList();

    private static string ValueAfter(List<string> args, string flag)
    {
        var i = args.IndexOf(flag);
        Assert.True(i >= 0 && i + 1 < args.Count, $"{flag} with a value");
        return args[i + 1];
    }

    private static YamlMappingNode Load(string path) => Assert.Single(LoadAll(path));

    private static List<YamlMappingNode> LoadAll(string path)
    {
        using var reader = new StreamReader(path);
        var stream = new YamlStream();
        stream.Load(reader);
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    private static YamlNode Node(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            var map = Assert.IsType<YamlMappingNode>(node);
            Assert.True(map.Children.TryGetValue(new YamlScalarNode(key), out var next), $"missing '{key}'");
            node = next;
        }

        return node;
    }

    private static string Scalar(YamlNode node, params string[] path) => Assert.IsType<YamlScalarNode>(Node(node, path)).Value ?? "";

    /// <summary>A mapping flattened to "k=v;..." for comparing label sets.</summary>
    private static string Scalar(YamlMappingNode map) =>
        string.Join(';', map.Children.Select(kv => $"{kv.Key}={kv.Value}").Order());

    private static YamlMappingNode Map(YamlNode node, params string[] path) => Assert.IsType<YamlMappingNode>(Node(node, path));

    private static List<YamlNode> Seq(YamlNode node, params string[] path) => Assert.IsType<YamlSequenceNode>(Node(node, path)).Children.ToList();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Strata.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Strata.slnx not found above the test binaries.");
    }
}
