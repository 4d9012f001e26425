using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Strata.Server.Artifacts;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Tests.Artifacts;

/// <summary><c>--artifacts-fsync</c> reaches the local artifact store; uploads work and land whole either way.</summary>
public sealed class ArtifactsFsyncTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_server_flag_sets_the_local_store_sync_and_uploads_round_trip(bool fsync)
    {
        await using var server = await StrataTestServer.StartAsync(o => o.ArtifactsFsync = fsync);
        Assert.Equal(fsync, server.Services.GetRequiredService<IOptions<ArtifactsOptions>>().Value.SyncLocalWrites);

        var body = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();
        using (var put = await server.Client.PutAsync("/api/2.0/mlflow-artifacts/artifacts/1/traces/tr-x/artifacts/traces.json", new ByteArrayContent(body)))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        Assert.Equal(body, await server.Client.GetByteArrayAsync("/api/2.0/mlflow-artifacts/artifacts/1/traces/tr-x/artifacts/traces.json"));
        var temp = Path.Join(server.Options.ArtifactsDestination, ".tmp");
        Assert.Empty(Directory.Exists(temp) ? Directory.EnumerateFileSystemEntries(temp) : []);
    }
}
