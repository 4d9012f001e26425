using System.CommandLine;
using Strata.Cli.Commands;
using Strata.Serving.Hosting;

namespace Strata.Cli.Tests;

/// <summary>The serving flags as parsed: <c>--enable-batching</c> is on, off, or left to the model's runtime.</summary>
public sealed class ServingFlagsTests
{
    [Theory]
    [InlineData(null, new string[0])]
    [InlineData(true, new[] { "--enable-batching" })]
    [InlineData(true, new[] { "--enable-batching", "true" })]
    [InlineData(false, new[] { "--enable-batching", "false" })]
    [InlineData(true, new[] { "--enable-batching", "--max-batch-size", "8" })]
    public void Enable_batching_is_on_off_or_left_to_the_runtime(bool? expected, string[] args)
    {
        var flags = new ServingFlags();
        var command = new RootCommand();
        foreach (var option in flags.All)
        {
            command.Options.Add(option);
        }

        var parse = command.Parse(args);
        Assert.Empty(parse.Errors);
        var applied = flags.Apply(new ServingOptions(), parse, _ => null);
        Assert.Equal(expected, applied.Batching.Enabled);
    }
}
