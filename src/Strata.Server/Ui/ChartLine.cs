namespace Strata.Server.Ui;

/// <summary>One line of a time chart: x in epoch milliseconds. Passed to a chart island, so plain serializable data.</summary>
public sealed record ChartLine(string Name, long[] X, double[] Y);
