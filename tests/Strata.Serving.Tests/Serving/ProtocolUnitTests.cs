using Strata.Core.Errors;
using Strata.Core.Models;
using Strata.Serving.Hosting;
using Strata.Serving.Protocols;

namespace Strata.Serving.Tests.Serving;

public sealed class ProtocolUnitTests
{
    [Theory]
    [InlineData("models:/weather/3", ModelUriKind.RegistryVersion, "weather", "3", false)]
    [InlineData("models:/weather@champion", ModelUriKind.RegistryAlias, "weather", "champion", true)]
    [InlineData("models:/weather/Production", ModelUriKind.RegistryStage, "weather", "Production", true)]
    [InlineData("models:/weather/LATEST", ModelUriKind.RegistryLatest, "weather", "LATEST", true)]
    [InlineData("models:/team/weather@b", ModelUriKind.RegistryAlias, "team/weather", "b", true)]
    public void Registry_uris_parse_like_mlflows_client(string uri, ModelUriKind kind, string name, string reference, bool moves)
    {
        var parsed = ModelUri.Parse(uri);
        Assert.Equal(kind, parsed.Kind);
        Assert.Equal(name, parsed.Name);
        Assert.Equal(reference, parsed.Reference);
        Assert.Equal(moves, parsed.CanMove);
        Assert.True(parsed.NeedsTrackingServer);
    }

    [Fact]
    public void Run_and_local_uris_parse()
    {
        var run = ModelUri.Parse("runs:/0123456789abcdef0123456789abcdef/model/sub");
        Assert.Equal(ModelUriKind.Run, run.Kind);
        Assert.Equal("0123456789abcdef0123456789abcdef", run.Name);
        Assert.Equal("model/sub", run.SubPath);
        var local = ModelUri.Parse("/tmp/some/model-dir");
        Assert.Equal(ModelUriKind.LocalFolder, local.Kind);
        Assert.Equal("model-dir", local.DefaultRouteName);
        Assert.False(local.NeedsTrackingServer);
        Assert.Throws<MlflowException>(() => ModelUri.Parse("models:/weather"));
    }

    [Fact]
    public void Serve_model_specs_take_a_name_or_derive_one()
    {
        Assert.Equal(new ServeModelSpec("w", "models:/weather@champion"), ServeModelSpec.Parse("w=models:/weather@champion"));
        Assert.Equal(new ServeModelSpec("weather", "models:/weather@champion"), ServeModelSpec.Parse("models:/weather@champion"));
        Assert.Throws<ArgumentException>(() => ServeModelSpec.Parse("=models:/weather/1"));
    }

    [Fact]
    public void Serving_options_need_a_tracking_server_for_registry_uris_and_unique_names()
    {
        var registry = new ServingOptions { Models = [new ServeModelSpec("w", "models:/w/1")] };
        Assert.Contains("--tracking-uri", Assert.Throws<ArgumentException>(registry.Validate).Message, StringComparison.Ordinal);
        (registry with { TrackingUri = "http://127.0.0.1:1" }).Validate();
        (registry with { TrackingIsSelf = true }).Validate();
        var twice = new ServingOptions { Models = [new ServeModelSpec("a", "/x"), new ServeModelSpec("a", "/y")] };
        Assert.Contains("'a'", Assert.Throws<ArgumentException>(twice.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Csv_fields_follow_rfc_4180_quoting()
    {
        var records = CsvInputReader.Parse("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\n\n1,,\"\"\n");
        Assert.Equal(3, records.Count);
        Assert.Equal(["x, y", "say \"hi\"", null], records[1]);
        Assert.Equal(["1", null, ""], records[2]);
    }

    [Fact]
    public void Csv_reaches_string_and_bool_columns()
    {
        var layout = new InputLayout(ModelSchema.FromColumns([
            new ColumnSpec(DataType.String, "city"), new ColumnSpec(DataType.Boolean, "furnished"), new ColumnSpec(DataType.Long, "n")]));
        var request = InvocationParser.Parse("city,furnished,n\n\"Kraków, PL\",true,3\nOslo,False,-4\n"u8, "text/csv", layout, null);
        Assert.Equal(["Kraków, PL", "Oslo"], ((ModelTensor<string>)request.Input.Tensors[0]).Span.ToArray());
        Assert.Equal([true, false], ((ModelTensor<bool>)request.Input.Tensors[1]).Span.ToArray());
        Assert.Equal([3L, -4L], ((ModelTensor<long>)request.Input.Tensors[2]).Span.ToArray());
    }

    [Fact]
    public void Json_parses_into_the_signature_types_and_null_floats_become_nan()
    {
        var layout = new InputLayout(ModelSchema.FromColumns([new ColumnSpec(DataType.Double, "x"), new ColumnSpec(DataType.Integer, "k")]));
        var request = InvocationParser.Parse("""{"dataframe_records": [{"x": null, "k": 2}, {"x": 1.5, "k": -1}]}"""u8, "application/json", layout, null);
        var x = ((ModelTensor<double>)request.Input.Tensors[0]).Span.ToArray();
        Assert.True(double.IsNaN(x[0]));
        Assert.Equal(1.5, x[1]);
        Assert.Equal([2, -1], ((ModelTensor<int>)request.Input.Tensors[1]).Span.ToArray());
        var error = Assert.Throws<MlflowException>(() => InvocationParser.Parse("""{"dataframe_records": [{"x": 1, "k": 2.5}]}"""u8, "application/json", layout, null));
        Assert.Contains("'k'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"dataframe_split": {"columns": ["x", "k"], "data": [[1.5, 2]]}}""")]
    [InlineData("""{"dataframe_split": {"columns": ["k", "x"], "data": [[2, 1.5]]}}""")]
    [InlineData("""{"dataframe_split": {"columns": ["\u0078", "\u006b"], "data": [[1.5, 2]]}}""")]
    [InlineData("""{"dataframe_records": [{"k": 2, "x": 1.5}]}""")]
    [InlineData("""{"inputs": {"\u006b": [2], "x": [1.5]}}""")]
    public void Names_match_in_any_order_and_escaped(string body)
    {
        var layout = new InputLayout(ModelSchema.FromColumns([new ColumnSpec(DataType.Double, "x"), new ColumnSpec(DataType.Integer, "k")]));
        var request = InvocationParser.Parse(System.Text.Encoding.UTF8.GetBytes(body), "application/json", layout, null);
        Assert.Equal([1.5], ((ModelTensor<double>)request.Input.Find("x")!).Span.ToArray());
        Assert.Equal([2], ((ModelTensor<int>)request.Input.Find("k")!).Span.ToArray());
    }

    [Fact]
    public void Declared_params_are_type_checked()
    {
        var layout = new InputLayout(ModelSchema.FromColumns([new ColumnSpec(DataType.Double, "x")]));
        var specs = new[] { new ParamSpec("temperature", ColumnType.Of(DataType.Double), 0.5) };
        var ok = InvocationParser.Parse("""{"params": {"temperature": 0.1, "other": "x"}, "inputs": {"x": [1]}}"""u8, "application/json", layout, specs);
        Assert.Equal(0.1, ok.Params!["temperature"]);
        Assert.False(ok.Params.ContainsKey("other"));
        var error = Assert.Throws<MlflowException>(() =>
            InvocationParser.Parse("""{"params": {"temperature": "hot"}, "inputs": {"x": [1]}}"""u8, "application/json", layout, specs));
        Assert.Contains("'temperature'", error.Message, StringComparison.Ordinal);
    }
}

public sealed class TracingRegistrationTests
{
    [Fact]
    public void Otlp_tracing_is_registered_only_when_the_endpoint_is_set()
    {
        var off = new Microsoft.Extensions.DependencyInjection.ServiceCollection()
            .AddStrataServingTracing(_ => null, "strata-test");
        Assert.DoesNotContain(off, d => d.ServiceType.FullName?.StartsWith("OpenTelemetry", StringComparison.Ordinal) == true);

        var on = new Microsoft.Extensions.DependencyInjection.ServiceCollection()
            .AddStrataServingTracing(n => n == "OTEL_EXPORTER_OTLP_ENDPOINT" ? "http://127.0.0.1:4317" : null, "strata-test");
        Assert.Contains(on, d => d.ServiceType.FullName?.StartsWith("OpenTelemetry", StringComparison.Ordinal) == true);
    }
}
