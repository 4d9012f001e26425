using Strata.Client.Models;
using Strata.Core.Registry;
using Strata.Client.Tests.Support;

namespace Strata.Client.Tests.Unit;

public sealed class ModelReferenceTests
{
    [Fact]
    public void Parses_every_documented_form()
    {
        var alias = Assert.IsType<ModelReference.Registered>(ModelReference.Parse("models:/clf@champion/data/model.zip")).Uri;
        Assert.Equal((ModelUriKind.Alias, "clf", "champion", "data/model.zip"), (alias.Kind, alias.Name, alias.Reference, alias.SubPath));
        var version = Assert.IsType<ModelReference.Registered>(ModelReference.Parse("models:/clf/12/MLmodel")).Uri;
        Assert.Equal((ModelUriKind.Version, "12", "MLmodel"), (version.Kind, version.Reference, version.SubPath));
        var stage = Assert.IsType<ModelReference.Registered>(ModelReference.Parse("models:/clf/production")).Uri;
        Assert.Equal((ModelUriKind.Stage, "Production"), (stage.Kind, stage.Reference));
        var logged = Assert.IsType<ModelReference.Registered>(ModelReference.Parse("models:/m-0123456789abcdef0123456789abcdef")).Uri;
        Assert.Equal(ModelUriKind.LoggedModel, logged.Kind);
        Assert.Equal(new ModelReference.RunArtifact("abc", "model"), ModelReference.Parse("runs:/abc/model"));
        Assert.Equal(new ModelReference.LocalFolder("/tmp/model"), ModelReference.Parse("/tmp/model"));
        Assert.Equal(new ModelReference.LocalFolder("/tmp/model"), ModelReference.Parse("file:///tmp/model"));
        Assert.Equal(new ModelReference.Artifact("mlflow-artifacts:/0/x"), ModelReference.Parse("mlflow-artifacts:/0/x"));
    }

    [Theory]
    [InlineData("models:/clf")]
    [InlineData("models:/clf@")]
    [InlineData("models:/clf/NotAStage")]
    [InlineData("runs:/")]
    [InlineData("s3://bucket/model")]
    public void Rejects_malformed_references(string uri) => Assert.Throws<FormatException>(() => ModelReference.Parse(uri));

    [Fact]
    public async Task Alias_resolution_asks_the_alias_then_the_download_uri()
    {
        await using var server = await ScriptedServer.StartAsync((c, _) => c.Request.Path.Value switch
        {
            "/api/2.0/mlflow/registered-models/alias" => c.Json("""{"model_version":{"name":"clf","version":"4"}}"""),
            "/api/2.0/mlflow/model-versions/get-download-uri" => c.Json("""{"artifact_uri":"mlflow-artifacts:/1/models/m-1/artifacts"}"""),
            _ => c.Json("""{"error_code":"ENDPOINT_NOT_FOUND","message":"x"}""", 404),
        });
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        Assert.Equal("mlflow-artifacts:/1/models/m-1/artifacts/MLmodel", await client.ResolveModelUriAsync("models:/clf@champion/MLmodel"));
        Assert.Equal("?name=clf&version=4", server.Requests.Last().Query);
    }

    [Fact]
    public async Task Stage_resolution_takes_the_highest_version_and_reports_none()
    {
        await using var server = await ScriptedServer.StartAsync((c, body) => c.Request.Path.Value switch
        {
            "/api/2.0/mlflow/registered-models/get-latest-versions" when body.Contains("\"Archived\"", StringComparison.Ordinal) => c.Json("{}"),
            "/api/2.0/mlflow/registered-models/get-latest-versions" => c.Json("""{"model_versions":[{"version":"2"},{"version":"10"}]}"""),
            "/api/2.0/mlflow/model-versions/get-download-uri" => c.Json("{\"artifact_uri\":\"mlflow-artifacts:/v" + c.Request.Query["version"] + "\"}"),
            _ => c.Json("{}", 404),
        });
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        Assert.Equal("mlflow-artifacts:/v10", await client.ResolveModelUriAsync("models:/clf/latest"));
        Assert.DoesNotContain("stages", server.Requests.First().Body, StringComparison.Ordinal);
        var ex = await Assert.ThrowsAsync<StrataApiException>(() => client.ResolveModelUriAsync("models:/clf/archived"));
        Assert.Contains("No versions of model with name 'clf'", ex.Message, StringComparison.Ordinal);
    }
}

public sealed class LatestVersionsFallbackTests
{
    [Fact]
    public async Task Post_not_routed_falls_back_to_get_with_repeated_stages()
    {
        await using var server = await ScriptedServer.StartAsync((c, _) => c.Request.Method == "POST"
            ? c.Json("""{"error_code":"ENDPOINT_NOT_FOUND","message":"no POST"}""", 404)
            : c.Json("""{"model_versions":[{"name":"m","version":"3","current_stage":"Staging"}]}"""));
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        var versions = await client.GetLatestVersionsAsync("m", ["Staging", "Production"]);
        Assert.Equal(3, versions.Single().Version);
        Assert.Equal("?name=m&stages=Staging&stages=Production", server.Requests.Last().Query);
        Assert.Equal(2, server.Requests.Count);
    }
}
