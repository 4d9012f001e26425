using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Strata.Core.Tracking;
using Strata.Server.Hosting;
using Strata.Server.Tests.Infrastructure;
using Strata.Storage.Database;
using Strata.Storage.Tracking;

namespace Strata.Tests.Artifacts;

/// <summary>The tracking routes that read run and logged-model artifacts, on the whole Strata server.</summary>
public sealed class RunArtifactsApiTests : IAsyncLifetime
{
    private const string Api = "/api/2.0/mlflow/";
    private StrataTestServer _server = null!;

    public async Task InitializeAsync() => _server = await StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>The whole server; the tracking store is registered here only if the composition does not do it yet.</summary>
    internal static Task<StrataTestServer> StartAsync(Action<StrataServerOptions>? configure = null) =>
        StrataTestServer.StartAsync(configure, builder =>
            builder.Services.TryAddSingleton<ITrackingStore>(sp => new TrackingStore(sp.GetRequiredService<IDatabase>())));

    private async Task PutAsync(string proxyPath, byte[] content)
    {
        using var response = await _server.Client.PutAsync("/api/2.0/mlflow-artifacts/artifacts/" + proxyPath, new ByteArrayContent(content));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>A run whose artifact URI is a proxy URI, with the proxy-relative path of its root.</summary>
    private async Task<(string RunId, string ArtifactUri, string ProxyRoot)> NewRunAsync()
    {
        var experimentId = await _server.CreateExperimentAsync();
        var run = await _server.CreateRunAsync(experimentId);
        var info = run.GetProperty("info");
        var uri = info.GetProperty("artifact_uri").GetString()!;
        Assert.StartsWith("mlflow-artifacts:/", uri);
        return (info.GetProperty("run_id").GetString()!, uri, uri["mlflow-artifacts:/".Length..].TrimStart('/'));
    }

    [Fact]
    public async Task Artifacts_list_gives_paths_relative_to_the_run_root()
    {
        var (runId, uri, root) = await NewRunAsync();
        await PutAsync(root + "/metrics.json", [1, 2]);
        await PutAsync(root + "/model/MLmodel", [1, 2, 3]);
        await PutAsync(root + "/model/data/x.bin", []);

        var top = (await _server.GetAsync($"{Api}artifacts/list?run_id={runId}")).Ok();
        Assert.Equal(uri, top.GetProperty("root_uri").GetString());
        Assert.Equal("""[{"path":"metrics.json","is_dir":false,"file_size":2},{"path":"model","is_dir":true}]""", top.GetProperty("files").GetRawText());

        var model = (await _server.GetAsync($"/ajax-api/2.0/mlflow/artifacts/list?run_uuid={runId}&path=model")).Ok();
        Assert.Equal("""[{"path":"model/MLmodel","is_dir":false,"file_size":3},{"path":"model/data","is_dir":true}]""", model.GetProperty("files").GetRawText());

        var data = (await _server.GetAsync($"{Api}artifacts/list?run_id={runId}&path=model/data")).Ok();
        Assert.Equal("""[{"path":"model/data/x.bin","is_dir":false}]""", data.GetProperty("files").GetRawText());

        var missing = (await _server.GetAsync($"{Api}artifacts/list?run_id={runId}&path=nothing")).Ok();
        Assert.Equal($$"""{"root_uri":"{{uri}}"}""", missing.GetRawText());
    }

    [Fact]
    public async Task Artifacts_list_of_a_run_without_artifacts_is_only_the_root_uri()
    {
        var (runId, uri, _) = await NewRunAsync();
        var body = (await _server.GetAsync($"{Api}artifacts/list?run_id={runId}")).Ok();
        Assert.Equal($$"""{"root_uri":"{{uri}}"}""", body.GetRawText());
    }

    [Fact]
    public async Task Artifacts_list_errors()
    {
        var (runId, _, _) = await NewRunAsync();
        (await _server.GetAsync($"{Api}artifacts/list")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await _server.GetAsync($"{Api}artifacts/list?run_id=0123456789abcdef0123456789abcdef")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        foreach (var bad in new[] { "../x", "..%2F..%2Fx", "%252e%252e/x", "/etc", "a%5Cb" })
        {
            var response = (await _server.GetAsync($"{Api}artifacts/list?run_id={runId}&path={bad}")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
            Assert.Equal("Invalid path", response.Json.GetProperty("message").GetString());
        }
    }

    [Fact]
    public async Task Get_artifact_serves_a_run_file_as_an_attachment()
    {
        var (runId, _, root) = await NewRunAsync();
        await PutAsync(root + "/model/MLmodel", Encoding.UTF8.GetBytes("flavors: {}"));

        using var response = await _server.Client.GetAsync($"/get-artifact?run_uuid={runId}&path=model/MLmodel");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("flavors: {}", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("MLmodel", response.Content.Headers.ContentDisposition!.FileName);

        using var byRunId = await _server.Client.GetAsync($"/get-artifact?run_id={runId}&path=model/MLmodel");
        Assert.Equal(HttpStatusCode.OK, byRunId.StatusCode);
        (await _server.GetAsync($"/get-artifact?run_uuid={runId}&path=model/none")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await _server.GetAsync($"/get-artifact?run_uuid={runId}&path=model")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await _server.GetAsync($"/get-artifact?run_uuid={runId}&path=../../../etc/passwd")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await _server.GetAsync($"/get-artifact?run_uuid={runId}")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Ui_upload_writes_into_the_run_and_refuses_empty_bodies()
    {
        var (runId, _, _) = await NewRunAsync();
        using (var response = await _server.Client.PostAsync($"/ajax-api/2.0/mlflow/upload-artifact?run_uuid={runId}&path=notes/n.txt", new ByteArrayContent([65, 66])))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await _server.Client.GetAsync($"/get-artifact?run_uuid={runId}&path=notes/n.txt"))
        {
            Assert.Equal("AB", await response.Content.ReadAsStringAsync());
        }

        (await _server.SendAsync(HttpMethod.Post, $"/ajax-api/2.0/mlflow/upload-artifact?run_uuid={runId}&path=notes/empty.txt", "", "application/octet-stream"))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        var listing = (await _server.GetAsync($"{Api}artifacts/list?run_id={runId}&path=notes")).Ok();
        Assert.Single(listing.List("files"));
    }

    [Fact]
    public async Task Logged_model_artifact_routes()
    {
        var experimentId = await _server.CreateExperimentAsync();
        var model = (await _server.PostAsync(Api + "logged-models", new { experiment_id = experimentId, name = "m" })).Ok().GetProperty("model").GetProperty("info");
        var modelId = model.GetProperty("model_id").GetString()!;
        var uri = model.GetProperty("artifact_uri").GetString()!;
        Assert.Equal($"mlflow-artifacts:/{experimentId}/models/{modelId}/artifacts", uri);
        var root = uri["mlflow-artifacts:/".Length..];
        await PutAsync(root + "/MLmodel", [1]);
        await PutAsync(root + "/data/model.onnx", [1, 2]);

        var top = (await _server.GetAsync($"{Api}logged-models/{modelId}/artifacts/directories")).Ok();
        Assert.Equal(uri, top.GetProperty("root_uri").GetString());
        Assert.Equal(["MLmodel", "data"], top.List("files").Select(f => f.GetProperty("path").GetString()));
        var data = (await _server.GetAsync($"{Api}logged-models/{modelId}/artifacts/directories?artifact_directory_path=data")).Ok();
        Assert.Equal("""[{"path":"data/model.onnx","is_dir":false,"file_size":2}]""", data.GetProperty("files").GetRawText());

        using var file = await _server.Client.GetAsync($"/ajax-api/2.0/mlflow/logged-models/{modelId}/artifacts/files?artifact_file_path=data/model.onnx");
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal([1, 2], await file.Content.ReadAsByteArrayAsync());

        (await _server.GetAsync($"{Api}logged-models/m-00000000000000000000000000000000/artifacts/directories")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await _server.GetAsync($"{Api}logged-models/{modelId}/artifacts/directories?artifact_directory_path=../..")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Model_version_get_artifact_reads_from_the_download_uri()
    {
        var (runId, _, root) = await NewRunAsync();
        await PutAsync(root + "/model/MLmodel", Encoding.UTF8.GetBytes("flavors: {}"));
        var name = "rm-" + Guid.NewGuid().ToString("N");
        (await _server.PostAsync(Api + "registered-models/create", new { name })).Ok();
        var version = (await _server.PostAsync(Api + "model-versions/create", new { name, source = $"runs:/{runId}/model", run_id = runId })).Ok()
            .GetProperty("model_version").GetProperty("version").GetString();

        using var response = await _server.Client.GetAsync($"/model-versions/get-artifact?name={name}&version={version}&path=MLmodel");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("flavors: {}", await response.Content.ReadAsStringAsync());
        Assert.Equal("MLmodel", response.Content.Headers.ContentDisposition!.FileName);

        (await _server.GetAsync($"/model-versions/get-artifact?name={name}&version=99&path=MLmodel")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await _server.GetAsync($"/model-versions/get-artifact?name={name}&version=x&path=MLmodel")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await _server.GetAsync($"/model-versions/get-artifact?name={name}&version={version}&path=../../../x")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await _server.GetAsync($"/model-versions/get-artifact?name={name}&version={version}")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Runs_with_a_local_artifact_location_are_read_directly()
    {
        var location = Path.Join(_server.DataDirectory, "direct-artifacts");
        var experimentId = (await _server.PostAsync(Api + "experiments/create", new { name = "direct-" + Guid.NewGuid().ToString("N"), artifact_location = "file://" + location })).Ok()
            .GetProperty("experiment_id").GetString()!;
        var run = (await _server.CreateRunAsync(experimentId)).GetProperty("info");
        var runId = run.GetProperty("run_id").GetString()!;
        var artifactUri = run.GetProperty("artifact_uri").GetString()!;
        var folder = new Uri(artifactUri).LocalPath;
        Directory.CreateDirectory(Path.Join(folder, "sub"));
        File.WriteAllText(Path.Join(folder, "sub", "f.txt"), "direct");

        var listing = (await _server.GetAsync($"{Api}artifacts/list?run_id={runId}&path=sub")).Ok();
        Assert.Equal("""[{"path":"sub/f.txt","is_dir":false,"file_size":6}]""", listing.GetProperty("files").GetRawText());
        using var file = await _server.Client.GetAsync($"/get-artifact?run_uuid={runId}&path=sub/f.txt");
        Assert.Equal("direct", await file.Content.ReadAsStringAsync());
        (await _server.GetAsync($"/get-artifact?run_uuid={runId}&path=../../../../strata.db")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Proxy_in_the_full_server_stores_under_the_artifacts_destination()
    {
        await PutAsync("7/r/artifacts/a.txt", [9]);
        Assert.True(File.Exists(Path.Join(_server.Options.ArtifactsDestination, "7", "r", "artifacts", "a.txt")));
        var missing = await _server.GetAsync("/api/2.0/mlflow-artifacts/artifacts/7/r/artifacts/b.txt");
        missing.IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Modes_artifacts_only_and_no_serve_artifacts()
    {
        await using (var artifactsOnly = await StartAsync(o => o.ArtifactsOnly = true))
        {
            var list = await artifactsOnly.GetAsync($"{Api}artifacts/list?run_id=x");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, list.Status);
            Assert.Equal("text/plain", list.MediaType);
            using var put = await artifactsOnly.Client.PutAsync("/api/2.0/mlflow-artifacts/artifacts/a/b.txt", new ByteArrayContent([1]));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        await using var noServe = await StartAsync(o => o.ServeArtifacts = false);
        var proxy = await noServe.GetAsync("/api/2.0/mlflow-artifacts/artifacts?path=a");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, proxy.Status);
        Assert.Equal("text/plain", proxy.MediaType);
        var experimentId = await noServe.CreateExperimentAsync();
        var runId = await noServe.CreateRunIdAsync(experimentId);
        var runInfo = await noServe.GetRunAsync(runId);
        Assert.StartsWith("mlflow-artifacts:", runInfo.GetProperty("info").GetProperty("artifact_uri").GetString());
        (await noServe.GetAsync($"{Api}artifacts/list?run_id={runId}")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }
}
