using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.Server.Ui.Components.Shared;

namespace Strata.Server.Ui;

/// <summary>Whole-document error answers rendered outside the router (the page the browser asked for never runs).</summary>
public static class UiErrorPages
{
    /// <summary>403 with the UI's "no permission" page; it names nothing about the resource.</summary>
    public static async Task WriteForbiddenAsync(HttpContext context)
    {
        var html = await RenderAsync<ForbiddenPage>(context.RequestServices, new Dictionary<string, object?>()).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.ContentType = "text/html; charset=utf-8";
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.WriteAsync(html, context.RequestAborted).ConfigureAwait(false);
        }
    }

    public static async Task<string> RenderAsync<TComponent>(IServiceProvider services, IDictionary<string, object?> parameters)
        where TComponent : IComponent
    {
        await using var renderer = new HtmlRenderer(services, services.GetRequiredService<ILoggerFactory>());
        return await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var output = await renderer.RenderComponentAsync<TComponent>(ParameterView.FromDictionary(parameters)).ConfigureAwait(false);
            return output.ToHtmlString();
        }).ConfigureAwait(false);
    }
}
