using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Strata.Server.Security;

/// <summary>
/// Sets each request's body size limit from its endpoint: the small JSON APIs get a small one, so a client cannot make
/// the server buffer a huge body; endpoints marked <see cref="LargeRequestBody"/> get the large one; artifact uploads
/// lift the limit themselves, as they stream. A body over the limit fails its read with 413. A scoring server
/// (<paramref name="dataByDefault"/>) has only data endpoints, so every endpoint gets the large one there.
/// </summary>
public sealed class RequestBodyLimitMiddleware(RequestDelegate next, IOptions<SecurityOptions> options, bool dataByDefault)
{
    private readonly long _small = options.Value.MaxRequestBodyBytes;
    private readonly long _large = options.Value.MaxLargeRequestBodyBytes;

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = !dataByDefault && context.GetEndpoint()?.Metadata.GetMetadata<LargeRequestBody>() is null ? _small : _large;
        }

        return next(context);
    }
}
