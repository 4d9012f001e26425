using Npgsql;
using Strata.Storage.Database.Postgres;

namespace Strata.Storage.Tests.Postgres;

public sealed class PostgresConnectionUriTests
{
    private static NpgsqlConnectionStringBuilder Parse(string value) => new(PostgresConnectionUri.ToConnectionString(value));

    [Theory]
    [InlineData("postgresql://alice:secret@db.example:5433/mlflow")]
    [InlineData("postgresql+psycopg2://alice:secret@db.example:5433/mlflow")]
    [InlineData("postgresql+pg8000://alice:secret@db.example:5433/mlflow")]
    [InlineData("postgres://alice:secret@db.example:5433/mlflow")]
    [InlineData("PostgreSQL://alice:secret@db.example:5433/mlflow")]
    [InlineData("Host=db.example;Port=5433;Username=alice;Password=secret;Database=mlflow")]
    public void Every_form_yields_the_same_connection(string value)
    {
        Assert.True(PostgresConnectionUri.IsPostgres(value));
        var b = Parse(value);
        Assert.Equal("db.example", b.Host);
        Assert.Equal(5433, b.Port);
        Assert.Equal("alice", b.Username);
        Assert.Equal("secret", b.Password);
        Assert.Equal("mlflow", b.Database);
    }

    [Fact]
    public void Percent_encoded_parts_are_decoded()
    {
        var b = Parse("postgresql://al%40ce:p%40ss%3Aw%2Ford%25@db/my%20db");
        Assert.Equal("al@ce", b.Username);
        Assert.Equal("p@ss:w/ord%", b.Password);
        Assert.Equal("my db", b.Database);
    }

    [Fact]
    public void An_unencoded_at_sign_in_the_password_is_kept()
    {
        var b = Parse("postgresql://u:p@ss@db/x");
        Assert.Equal("p@ss", b.Password);
        Assert.Equal("db", b.Host);
    }

    [Fact]
    public void Defaults_port_and_host()
    {
        var b = Parse("postgresql://u@db/x");
        Assert.Equal(5432, b.Port);
        Assert.Null(b.Password);
        Assert.Equal("localhost", Parse("postgresql:///x").Host);
    }

    [Theory]
    [InlineData("disable", SslMode.Disable)]
    [InlineData("allow", SslMode.Allow)]
    [InlineData("prefer", SslMode.Prefer)]
    [InlineData("require", SslMode.Require)]
    [InlineData("verify-ca", SslMode.VerifyCA)]
    [InlineData("verify-full", SslMode.VerifyFull)]
    public void Sslmode_is_mapped(string mode, SslMode expected) =>
        Assert.Equal(expected, Parse($"postgresql://u:p@db/x?sslmode={mode}").SslMode);

    [Fact]
    public void Libpq_query_options_are_mapped()
    {
        var b = Parse("postgresql://u:p@db/x?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=7&application_name=strata%20api&target_session_attrs=read-write");
        Assert.Equal("/etc/ca.pem", b.RootCertificate);
        Assert.Equal(7, b.Timeout);
        Assert.Equal("strata api", b.ApplicationName);
        Assert.Equal("read-write", b.TargetSessionAttributes);
    }

    [Fact]
    public void Npgsql_keywords_pass_through_the_query() =>
        Assert.True(Parse("postgresql://u:p@db/x?Include%20Error%20Detail=true").IncludeErrorDetail);

    [Fact]
    public void A_socket_directory_can_come_from_the_query()
    {
        var b = Parse("postgresql://u:p@/x?host=%2Fcloudsql%2Fproj%3Aregion%3Ainst");
        Assert.Equal("/cloudsql/proj:region:inst", b.Host);
    }

    [Fact]
    public void Several_hosts_and_ipv6_are_kept()
    {
        Assert.Equal("h1:5432,h2:5433", Parse("postgresql://u:p@h1,h2:5433/x").Host);
        var v6 = Parse("postgresql://u:p@[::1]:6000/x");
        Assert.Equal("::1", v6.Host);
        Assert.Equal(6000, v6.Port);
    }

    [Theory]
    [InlineData("postgresql://u:p@db:notaport/x")]
    [InlineData("postgresql://u:p@db:70000/x")]
    [InlineData("postgresql://u:p@db/x?sslmode=sometimes")]
    [InlineData("postgresql://u:p@db/x?no_such_option=1")]
    [InlineData("postgresql://u:p@[::1/x")]
    [InlineData("Host=db;NoSuchKeyword=1")]
    [InlineData("just some text")]
    public void Bad_values_fail_with_a_format_error(string value) =>
        Assert.Throws<FormatException>(() => PostgresConnectionUri.ToConnectionString(value));

    [Fact]
    public void Errors_never_show_the_password()
    {
        var ex = Assert.Throws<FormatException>(() => PostgresConnectionUri.ToConnectionString("postgresql://u:hunter2@db:bad/x"));
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", PostgresConnectionUri.Describe(PostgresConnectionUri.ToConnectionString("postgresql://u:hunter2@db/x")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sqlite:///tmp/mlflow.db")]
    [InlineData("mysql://u:p@db/x")]
    [InlineData("file:///tmp/mlruns")]
    [InlineData("./mlruns")]
    public void Other_backends_are_not_postgres(string value) => Assert.False(PostgresConnectionUri.IsPostgres(value));
}
