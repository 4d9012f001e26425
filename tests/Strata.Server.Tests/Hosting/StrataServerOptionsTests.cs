using Strata.Server.Hosting;
using Strata.Storage.Database;

namespace Strata.Server.Tests.Hosting;

public sealed class StrataServerOptionsTests
{
    [Fact]
    public void Defaults_match_mlflow_server()
    {
        var options = new StrataServerOptions();
        Assert.Equal("127.0.0.1", options.Host);
        Assert.Equal(5000, options.Port);
        Assert.Equal("sqlite:///./strata-data/strata.db", options.BackendStoreUri);
        Assert.Equal("mlflow-artifacts:/", options.DefaultArtifactRoot);
        Assert.Equal("./strata-data/artifacts", options.ArtifactsDestination);
        Assert.True(options.ServeArtifacts);
        Assert.False(options.ArtifactsOnly);
        options.Validate();
    }

    [Fact]
    public void Environment_variables_apply()
    {
        var env = new Dictionary<string, string>
        {
            ["STRATA_HOST"] = "0.0.0.0",
            ["STRATA_PORT"] = "6000",
            ["STRATA_BACKEND_STORE_URI"] = "sqlite:////data/x.db",
            ["STRATA_DEFAULT_ARTIFACT_ROOT"] = "s3://bucket/root",
            ["STRATA_ARTIFACTS_DESTINATION"] = "/data/artifacts",
            ["STRATA_SERVE_ARTIFACTS"] = "false",
            ["STRATA_ARTIFACTS_ONLY"] = "",
            ["STRATA_ARTIFACTS_FSYNC"] = "true",
        };
        var options = new StrataServerOptions().ApplyEnvironment(name => env.GetValueOrDefault(name));
        Assert.Equal("0.0.0.0", options.Host);
        Assert.Equal(6000, options.Port);
        Assert.Equal("sqlite:////data/x.db", options.BackendStoreUri);
        Assert.Equal("s3://bucket/root", options.DefaultArtifactRoot);
        Assert.Equal("/data/artifacts", options.ArtifactsDestination);
        Assert.False(options.ServeArtifacts);
        Assert.False(options.ArtifactsOnly);
        Assert.True(options.ArtifactsFsync);
        Assert.False(new StrataServerOptions().ArtifactsFsync);
    }

    [Theory]
    [InlineData("STRATA_PORT", "http")]
    [InlineData("STRATA_SERVE_ARTIFACTS", "maybe")]
    public void Bad_environment_values_are_configuration_errors(string name, string value)
    {
        var ex = Assert.Throws<StrataConfigurationException>(() => new StrataServerOptions().ApplyEnvironment(n => n == name ? value : null));
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validation_rejects_bad_combinations()
    {
        Assert.Throws<StrataConfigurationException>(() => new StrataServerOptions { Port = 70000 }.Validate());
        Assert.Throws<StrataConfigurationException>(() => new StrataServerOptions { Host = " " }.Validate());
        Assert.Throws<StrataConfigurationException>(() => new StrataServerOptions { ArtifactsOnly = true, ServeArtifacts = false }.Validate());
        Assert.Throws<StrataConfigurationException>(() => new StrataServerOptions { BackendStoreUri = "" }.Validate());
    }

    [Theory]
    [InlineData("sqlite:////abs/path/db.sqlite", "/abs/path/db.sqlite")]
    [InlineData("sqlite:////abs/with%20space.db", "/abs/with space.db")]
    [InlineData("sqlite:////abs/q.db?timeout=5", "/abs/q.db")]
    public void Sqlite_uris_map_to_paths(string uri, string path) => Assert.Equal(path, BackendStore.SqlitePath(uri));

    [Fact]
    public void Relative_sqlite_uris_resolve_against_the_working_directory() =>
        Assert.Equal(Path.GetFullPath("./strata-data/strata.db"), BackendStore.SqlitePath("sqlite:///./strata-data/strata.db"));

    [Theory]
    [InlineData("sqlite://")]
    [InlineData("sqlite:///:memory:")]
    [InlineData("postgres-ish://x")]
    public void Bad_sqlite_uris_are_rejected(string uri) => Assert.Throws<BackendStoreException>(() => BackendStore.SqlitePath(uri));
}
