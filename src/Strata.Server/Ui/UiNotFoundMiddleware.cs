using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using Strata.Server.Ui.Components.Shared;

namespace Strata.Server.Ui;

/// <summary>
/// A browser that opens a path no page or endpoint answers gets the UI's 404 page instead of the API's JSON error.
/// Only page navigations are turned into HTML (GET or HEAD asking for text/html, outside the API and asset prefixes);
/// every client of the API (which asks for JSON or anything) keeps MLflow's ENDPOINT_NOT_FOUND, and a wrong method on
/// an API route keeps its 405.
/// </summary>
public sealed class UiNotFoundMiddleware(RequestDelegate next, IServiceProvider services, ILoggerFactory loggers)
{
    private static readonly string[] NonUiPrefixes = ["/api/", "/ajax-api/", "/v1/", "/v2/", "/_framework/", "/_content/", "/_blazor", "/serving/"];

    public async Task InvokeAsync(HttpContext context)
    {
        await next(context).ConfigureAwait(false);
        var response = context.Response;
        if (response.StatusCode != StatusCodes.Status404NotFound || response.HasStarted || response.ContentType is not null
            || response.ContentLength is > 0 || context.GetEndpoint() is not null || !IsPageNavigation(context.Request))
        {
            return;
        }

        var html = await RenderAsync(context.Request.Path.Value ?? "/").ConfigureAwait(false);
        response.ContentType = "text/html; charset=utf-8";
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.WriteAsync(html, context.RequestAborted).ConfigureAwait(false);
        }
    }

    public static bool IsPageNavigation(HttpRequest request)
    {
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            return false;
        }

        var path = request.Path.Value ?? "/";
        if (NonUiPrefixes.Any(p => path.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        // Browsers navigate with "text/html,application/xhtml+xml,..."; API clients send */* or application/json.
        return request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));
    }

    private async Task<string> RenderAsync(string path)
    {
        await using var renderer = new HtmlRenderer(services, loggers);
        return await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var output = await renderer.RenderComponentAsync<NotFoundPage>(
                ParameterView.FromDictionary(new Dictionary<string, object?> { [nameof(NotFoundPage.Path)] = path })).ConfigureAwait(false);
            return output.ToHtmlString();
        }).ConfigureAwait(false);
    }
}
