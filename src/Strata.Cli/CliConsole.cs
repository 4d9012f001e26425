namespace Strata.Cli;

internal static class CliConsole
{
    /// <summary>One line on stderr, never a stack trace.</summary>
    public static void Error(string message) =>
        Console.Error.WriteLine($"strata: error: {message.ReplaceLineEndings(" ")}");
}
