using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Strata.Server.Wire;

/// <summary>Success responses: always a JSON object, written straight to the response pipe.</summary>
public static class WireResults
{
    internal static readonly JsonWriterOptions WriterOptions = new()
    {
        // The body is application/json, never embedded in HTML, so only JSON's own escaping is needed.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary><c>{}</c>: the response of every write RPC.</summary>
    public static IResult Empty { get; } = new EmptyObjectResult();

    /// <summary>A JSON object whose members <paramref name="write"/> emits.</summary>
    public static IResult Object<T>(T state, Action<Utf8JsonWriter, T> write) => new ObjectResult<T>(state, write);

    /// <summary>
    /// A search page: <c>{"&lt;name&gt;": [...], "next_page_token": "..."}</c>, the array omitted when empty and the
    /// token omitted on the last page, as MLflow does.
    /// </summary>
    public static IResult Page<T>(Core.Tracking.Page<T> page, JsonEncodedText arrayName, Action<Utf8JsonWriter, T> writeItem) =>
        Object((page, arrayName, writeItem), static (w, s) =>
        {
            if (s.page.Items.Count > 0)
            {
                w.WriteStartArray(s.arrayName);
                foreach (var item in s.page.Items)
                {
                    s.writeItem(w, item);
                }

                w.WriteEndArray();
            }

            if (!string.IsNullOrEmpty(s.page.NextPageToken))
            {
                w.WriteString("next_page_token"u8, s.page.NextPageToken);
            }
        });

    private sealed class ObjectResult<T>(T state, Action<Utf8JsonWriter, T> write) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json";
            await using (var writer = new Utf8JsonWriter(response.BodyWriter, WriterOptions))
            {
                writer.WriteStartObject();
                write(writer, state);
                writer.WriteEndObject();
            }

            await response.BodyWriter.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
        }
    }

    private sealed class EmptyObjectResult : IResult
    {
        private static readonly byte[] Body = "{}"u8.ToArray();

        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json";
            response.ContentLength = 2;
            return response.Body.WriteAsync(Body, httpContext.RequestAborted).AsTask();
        }
    }
}
