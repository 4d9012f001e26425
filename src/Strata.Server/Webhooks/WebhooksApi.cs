using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Strata.Core.Webhooks;
using Strata.Server.Hosting;
using Strata.Server.Wire;

namespace Strata.Server.Webhooks;

/// <summary>
/// MLflow 3.5's webhook endpoints under <c>/api/2.0/mlflow/webhooks</c> (and <c>/ajax-api</c>), and the same under
/// <c>/api/2.0/strata/webhooks</c> with Strata's own events shown (MLflow's routes leave those out of answers, as
/// MLflow's client cannot parse them), plus the delivery log at <c>/api/2.0/strata/webhooks/{id}/deliveries</c>.
/// </summary>
public static class WebhooksApi
{
    private static readonly JsonEncodedText WebhooksName = JsonEncodedText.Encode("webhooks");
    private static readonly JsonEncodedText DeliveriesName = JsonEncodedText.Encode("deliveries");

    public const string StrataPrefix = "/api/2.0/strata/webhooks";

    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in MlflowRoutes.Prefixes)
        {
            var g = app.MapGroup(prefix + "/webhooks").WithTags("Webhooks");
            g.DisabledWhenArtifactsOnly(app.ServiceProvider);

            MapCrud(g, WebhookJson.WriteMlflowWebhook);
        }

        var strata = app.MapGroup(StrataPrefix).WithTags("Webhooks");
        strata.DisabledWhenArtifactsOnly(app.ServiceProvider);

        MapCrud(strata, WebhookJson.WriteWebhook);
        strata.MapGet("{webhook_id}/deliveries", Deliveries);
        return app;
    }

    private static void MapCrud(RouteGroupBuilder g, Action<Utf8JsonWriter, Webhook> write)
    {
        g.MapPost(string.Empty, async (HttpContext ctx, WebhookService service) =>
        {
            var r = await WireRequest.ReadAsync(ctx);
            return WebhookResult(await service.CreateAsync(WebhookJson.ReadChanges(r), ctx.RequestAborted), write);
        });
        g.MapGet(string.Empty, async (HttpContext ctx, WebhookService service) =>
        {
            var r = await WireRequest.ReadAsync(ctx);
            var page = await service.ListAsync(r.Int64("max_results"), r.String("page_token"), ctx.RequestAborted);
            return WireResults.Page(page, WebhooksName, write);
        });
        g.MapGet("{webhook_id}", async (string webhook_id, WebhookService service, CancellationToken ct) =>
            WebhookResult(await service.GetAsync(webhook_id, ct), write));
        g.MapPatch("{webhook_id}", async (string webhook_id, HttpContext ctx, WebhookService service) =>
        {
            var r = await WireRequest.ReadAsync(ctx);
            return WebhookResult(await service.UpdateAsync(webhook_id, WebhookJson.ReadChanges(r), ctx.RequestAborted), write);
        });
        g.MapDelete("{webhook_id}", Delete);
        g.MapPost("{webhook_id}/test", Test);
    }

    private static async Task<IResult> Delete(string webhook_id, WebhookService service, CancellationToken ct)
    {
        await service.DeleteAsync(webhook_id, ct);
        return WireResults.Empty;
    }

    private static async Task<IResult> Test(string webhook_id, HttpContext ctx, WebhookService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var result = await service.TestAsync(webhook_id, WebhookJson.ReadOptionalEvent(r), ctx.RequestAborted);
        return WireResults.Object(result, WebhookJson.WriteTestResult);
    }

    private static async Task<IResult> Deliveries(string webhook_id, HttpContext ctx, WebhookService service)
    {
        var r = await WireRequest.ReadAsync(ctx);
        var page = await service.ListDeliveriesAsync(webhook_id, r.Int64("max_results"), r.String("page_token"), ctx.RequestAborted);
        return WireResults.Page(page, DeliveriesName, WebhookJson.WriteDelivery);
    }

    private static IResult WebhookResult(Webhook webhook, Action<Utf8JsonWriter, Webhook> write) =>
        WireResults.Object((webhook, write), static (w, s) =>
        {
            w.WritePropertyName("webhook"u8);
            s.write(w, s.webhook);
        });
}
