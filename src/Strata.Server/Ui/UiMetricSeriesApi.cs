using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Core.Errors;
using Strata.Server.Wire;

namespace Strata.Server.Ui;

/// <summary>
/// <c>GET /ui/metric-series</c>: a metric chart's lines again for another x axis or smoothing, read and cut down on the
/// server like the ones the page embeds (<see cref="MetricChartPayload"/>). The charts' controls call it; the UI's
/// pages embed the first drawing, so nothing here is on the way to a first screen.
/// </summary>
public static class UiMetricSeriesApi
{
    public const string Route = "/ui/metric-series";

    /// <summary>The compare page's limit: one line a run.</summary>
    public const int MaxRuns = 100;

    public static IEndpointRouteBuilder MapUiMetricSeriesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(Route, GetSeries).WithTags("Ui");
        return app;
    }

    private static async Task<IResult> GetSeries(HttpContext ctx, MetricSeriesReader reader)
    {
        using var r = await WireRequest.ReadAsync(ctx);
        var runIds = r.Strings("run_id");
        if (runIds.Count == 0 || runIds.Any(string.IsNullOrEmpty))
        {
            throw MlflowException.MissingParameter("run_id");
        }

        if (runIds.Count > MaxRuns)
        {
            throw MlflowException.InvalidParameter($"Too many values for 'run_id': {runIds.Count} (at most {MaxRuns}).");
        }

        var key = r.String("key");
        if (string.IsNullOrEmpty(key))
        {
            throw MlflowException.MissingParameter("key");
        }

        var axis = r.Enum<ChartXAxis>("x") ?? ChartXAxis.Step;

        var smoothing = r.Double("smoothing") ?? 0;
        if (smoothing is not (>= 0 and < 1))
        {
            throw MlflowException.InvalidParameter($"Invalid value {smoothing} for 'smoothing': must be in [0, 1).");
        }

        var histories = new List<IReadOnlyList<MetricPoint>>(runIds.Count);
        foreach (var runId in runIds)
        {
            histories.Add(await reader.ReadAsync(runId, key, ctx.RequestAborted));
        }

        return Results.Text(MetricChartPayload.Write(histories, null, axis, smoothing).Json, "application/json; charset=utf-8");
    }
}
