using Strata.Cli.Tests;
using Strata.Core.Tracking;
using Strata.Storage.Artifacts;
using Strata.Storage.Database;
using Strata.Storage.Tracking;

namespace Strata.Tests.Artifacts;

/// <summary><c>strata gc</c> as a process: flags, exit codes, and a real purge.</summary>
public sealed class GcCommandTests : IDisposable
{
    private readonly string _dir = Path.Join(Path.GetTempPath(), "strata-gc-cli-" + Guid.NewGuid().ToString("N"));

    public GcCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string BackendUri => "sqlite:///" + Path.Join(_dir, "strata.db");

    private string Destination => Path.Join(_dir, "artifacts");

    [Fact]
    public async Task Purges_a_deleted_run_with_its_artifacts()
    {
        string deletedRun, keptRun, experiment;
        await using (var database = await BackendStore.OpenAsync(BackendUri))
        {
            var store = new TrackingStore(database);
            experiment = await store.CreateExperimentAsync(new NewExperiment("e", null, "mlflow-artifacts:/", [], 1), default);
            deletedRun = Guid.NewGuid().ToString("N");
            keptRun = Guid.NewGuid().ToString("N");
            var proxy = new LocalArtifactStore(new LocalArtifactStoreOptions { Root = Destination, SyncOnWrite = false });
            foreach (var id in new[] { deletedRun, keptRun })
            {
                await store.CreateRunAsync(new NewRun(id, experiment, "u", "r", 1, []), default);
                await proxy.UploadAsync($"{experiment}/{id}/artifacts/f.txt", new MemoryStream([1]), default);
            }

            await store.DeleteRunAsync(deletedRun, 1, default);
        }

        var (exitCode, stdout, stderr) = await CliProcess.RunAsync("gc", "--backend-store-uri", BackendUri, "--artifacts-destination", Destination, "--older-than", "1h");
        Assert.True(exitCode == 0, stderr);
        Assert.Contains(deletedRun, stdout);
        Assert.Contains("Purged 1 runs, 0 experiments and 0 traces.", stdout);

        await using (var database = await BackendStore.OpenAsync(BackendUri))
        {
            var store = new TrackingStore(database);
            Assert.Null(await store.GetRunAsync(deletedRun, default));
            Assert.NotNull(await store.GetRunAsync(keptRun, default));
        }

        Assert.False(Directory.Exists(Path.Join(Destination, experiment, deletedRun, "artifacts")));
        Assert.True(File.Exists(Path.Join(Destination, experiment, keptRun, "artifacts", "f.txt")));
    }

    [Fact]
    public async Task Bad_age_is_a_configuration_error_and_an_active_run_a_failure()
    {
        var (exitCode, _, stderr) = await CliProcess.RunAsync("gc", "--backend-store-uri", BackendUri, "--artifacts-destination", Destination, "--older-than", "soon");
        Assert.Equal(2, exitCode);
        Assert.StartsWith("strata: error:", stderr, StringComparison.Ordinal);

        (exitCode, _, stderr) = await CliProcess.RunAsync("gc", "--backend-store-uri", BackendUri, "--artifacts-destination", Destination, "--run-ids", "0123456789abcdef0123456789abcdef");
        Assert.Equal(1, exitCode);
        Assert.Contains("not in the 'deleted' lifecycle stage", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}
