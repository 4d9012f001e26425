namespace Strata.Cli;

internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;

    /// <summary>A setting is wrong (bad URI, unwritable folder, bad flag value): fix the command line.</summary>
    public const int Configuration = 2;
}
