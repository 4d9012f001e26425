using Strata.Core.Models;

namespace Strata.Core.Tests.Models;

public class YamlTreeTests
{
    [Theory]
    [InlineData("1.0", true)]
    [InlineData("3.10", true)]
    [InlineData("3.10.12", false)]
    [InlineData("yes", true)]
    [InlineData("null", true)]
    [InlineData("", true)]
    [InlineData("2023-12-07 02:46:07.555576", true)]
    [InlineData("12", true)]
    [InlineData("0x1F", true)]
    [InlineData("model.onnx", false)]
    [InlineData("m-0123", false)]
    public void Quotes_strings_PyYAML_would_read_as_another_type(string text, bool quoted)
    {
        Assert.Equal(quoted, YamlTree.NeedsQuotes(text));
        var yaml = YamlTree.Write(new Dictionary<string, object?> { ["k"] = text });
        Assert.Equal(text, ((IReadOnlyDictionary<string, object?>)YamlTree.Parse(yaml)!)["k"]);
    }

    [Fact]
    public void Types_plain_scalars_as_PyYAML_does()
    {
        var map = (IReadOnlyDictionary<string, object?>)YamlTree.Parse("a: 1\nb: 2.5\nc: true\nd: ~\ne: .inf\nf: text\ng: 'quoted 1'\nh: 1e-05\n")!;
        Assert.Equal(1L, map["a"]);
        Assert.Equal(2.5, map["b"]);
        Assert.Equal(true, map["c"]);
        Assert.Null(map["d"]);
        Assert.Equal(double.PositiveInfinity, map["e"]);
        Assert.Equal("text", map["f"]);
        Assert.Equal("quoted 1", map["g"]);
        Assert.Equal("1e-05", map["h"]); // YAML 1.1 floats need a dot
    }

    [Fact]
    public void Writes_sorted_block_style_with_flow_empties()
    {
        var yaml = YamlTree.Write(new Dictionary<string, object?>
        {
            ["b"] = new List<object?> { "x", 1L },
            ["a"] = new Dictionary<string, object?>(),
            ["c"] = new List<object?>(),
            ["d"] = 1e-5,
        });
        Assert.Equal("a: {}\nb:\n- x\n- 1\nc: []\nd: 1.0e-05\n", yaml);
    }
}
