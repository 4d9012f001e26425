using Strata.Storage.Database;
using Strata.Storage.Serving;

namespace Strata.Cli.Tests.Deployments;

public sealed class GcLogRetentionTests
{
    [Fact]
    public async Task Gc_deletes_the_prediction_log_past_its_age()
    {
        var directory = Directory.CreateTempSubdirectory("strata-cli-retention-").FullName;
        try
        {
            var uri = "sqlite:///" + Path.Combine(directory, "strata.db");
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await using (var database = await BackendStore.OpenAsync(uri, null, default))
            {
                var store = new PredictionLogStore(database);
                await store.InsertAsync([new("old", "m", "1", now - (10L * 86_400_000), 1, 200, "mlflow", "{}", "[]", null)], default);
                await store.InsertAsync([new("new", "m", "1", now - 3_600_000, 1, 200, "mlflow", "{}", "[]", null)], default);
            }

            var (exit, stdout, stderr) = await CliProcess.RunAsync("gc", "--backend-store-uri", uri, "--artifacts-destination", Path.Combine(directory, "artifacts"), "--log-retention", "7d");
            Assert.True(exit == 0, stderr);
            Assert.Contains("Deleted 1 prediction log entries in 1 segments.", stdout, StringComparison.Ordinal);

            await using (var database = await BackendStore.OpenAsync(uri, null, default))
            {
                var page = await new PredictionLogStore(database).SearchAsync(new PredictionLogQuery { ModelName = "m" }, default);
                Assert.Equal(["new"], page.Records.Select(r => r.RequestId));
            }

            var (badExit, _, badError) = await CliProcess.RunAsync("gc", "--backend-store-uri", uri, "--log-retention", "soon");
            Assert.Equal(2, badExit);
            Assert.Contains("--log-retention", badError, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
