using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Server.Wire;

/// <summary>
/// The fields of one MLflow request, from the JSON body or (GET, and as a fallback on DELETE) the
/// query string, with the wire rules of spec §1-2. Disposed with the response.
/// </summary>
public sealed class WireRequest : IDisposable
{
    /// <summary>Upper bound for ordinary bodies (dataset profiles may be 16 MB).</summary>
    public const int DefaultMaxBodyBytes = 32 * 1024 * 1024;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    private readonly JsonDocument? _document;
    private readonly JsonElement _root;
    private readonly bool _hasBody;
    private readonly IQueryCollection? _query;
    private byte[]? _buffer;
    private int _bodyLength;

    private WireRequest(JsonDocument? document, IQueryCollection? query, byte[]? buffer)
    {
        _document = document;
        _hasBody = document is not null;
        _root = document?.RootElement ?? default;
        _query = query;
        _buffer = buffer;
    }

    /// <summary>Reads the request's fields. Malformed JSON, a non-object body or a wrong Content-Type give INVALID_PARAMETER_VALUE.</summary>
    public static async ValueTask<WireRequest> ReadAsync(HttpContext context, int maxBodyBytes = DefaultMaxBodyBytes)
    {
        // Authorization may have read the fields first (to find the resource); the handler gets the same parse.
        if (context.Items.TryGetValue(typeof(WireRequest), out var cached) && cached is WireRequest read)
        {
            return read._bodyLength > maxBodyBytes ? throw TooLarge(read._bodyLength, maxBodyBytes) : read;
        }

        var request = context.Request;
        var method = request.Method;
        var useQuery = HttpMethods.IsGet(method) && request.QueryString.HasValue;
        if (useQuery)
        {
            return Register(context, new WireRequest(null, request.Query, null));
        }

        if (HttpMethods.IsPost(method) || HttpMethods.IsPut(method))
        {
            EnsureJsonContentType(request.ContentType);
        }

        var (buffer, length) = await ReadBodyAsync(request, maxBodyBytes, context.RequestAborted).ConfigureAwait(false);
        var query = HttpMethods.IsDelete(method) && request.QueryString.HasValue ? request.Query : null;
        if (length == 0 || IsWhitespace(buffer.AsSpan(0, length)))
        {
            ReturnBuffer(buffer);
            return Register(context, new WireRequest(null, query, null));
        }

        // System.Text.Json checks UTF-8 only when a string is read, which would surface as an unexpected error deep
        // in a handler; one vectorised pass here turns it into the client's mistake it is.
        if (!Utf8.IsValid(buffer.AsSpan(0, length)))
        {
            ReturnBuffer(buffer);
            throw MlflowException.InvalidParameter("Malformed JSON in the request body: it is not valid UTF-8.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.AsMemory(0, length), DocumentOptions);
            if (document.RootElement.ValueKind == JsonValueKind.String)
            {
                // Old clients send the JSON object encoded once more as a JSON string.
                var inner = document.RootElement.GetString()!;
                document.Dispose();
                ReturnBuffer(buffer);
                buffer = null;
                document = JsonDocument.Parse(inner, DocumentOptions);
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a body sent as a JSON string whose text holds an escaped lone surrogate.
            ReturnBuffer(buffer);
            throw MlflowException.InvalidParameter($"Malformed JSON in the request body: {ex.Message}");
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = document.RootElement.ValueKind;
            document.Dispose();
            ReturnBuffer(buffer);
            throw MlflowException.InvalidParameter($"The request body must be a JSON object, not {kind}.");
        }

        return Register(context, new WireRequest(document, query, buffer) { _bodyLength = length });
    }

    /// <summary>Nothing: the request is shared by everyone who reads it during the request and released with the response.</summary>
    public void Dispose()
    {
    }

    private void Release()
    {
        _document?.Dispose();
        ReturnBuffer(_buffer);
        _buffer = null;
    }

    /// <summary>The field's JSON value when the request has a body holding it.</summary>
    public bool TryGetElement(string name, out JsonElement value)
    {
        if (_hasBody && _root.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        value = default;
        return false;
    }

    public string? String(string name)
    {
        if (TryGetElement(name, out var value))
        {
            return WireValues.String(value, name);
        }

        return QueryValue(name);
    }

    public long? Int64(string name) =>
        TryGetElement(name, out var value) ? WireValues.Int64(value, name)
        : QueryValue(name) is { } text ? WireValues.ParseInt64(text, name)
        : null;

    public int? Int32(string name) => WireValues.ToInt32(Int64(name), name);

    public double? Double(string name) =>
        TryGetElement(name, out var value) ? WireValues.Double(value, name)
        : QueryValue(name) is { } text ? WireValues.ParseDouble(text, name)
        : null;

    public bool? Boolean(string name) =>
        TryGetElement(name, out var value) ? WireValues.Boolean(value, name)
        : QueryValue(name) is { } text ? WireValues.ParseBoolean(text, name)
        : null;

    public TEnum? Enum<TEnum>(string name)
        where TEnum : struct, Enum =>
        TryGetElement(name, out var value) ? WireValues.Enum<TEnum>(value, name)
        : QueryValue(name) is { } text ? WireValues.ParseEnum<TEnum>(text, name)
        : null;

    /// <summary>A repeated string field: a JSON array (a single value is accepted too) or a repeated query key.</summary>
    public IReadOnlyList<string> Strings(string name)
    {
        if (TryGetElement(name, out var value))
        {
            if (value.ValueKind != JsonValueKind.Array)
            {
                return WireValues.String(value, name) is { } single ? [single] : [];
            }

            var list = new List<string>(value.GetArrayLength());
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                if (WireValues.String(item, new FieldPath(name, i), null) is { } s)
                {
                    list.Add(s);
                }

                i++;
            }

            return list;
        }

        if (_query is not null && _query.TryGetValue(name, out var values))
        {
            var list = new List<string>(values.Count);
            foreach (var v in values)
            {
                if (v is not null)
                {
                    list.Add(v);
                }
            }

            return list;
        }

        return [];
    }

    /// <summary>A repeated message field; <paramref name="read"/> gets each element and its path (<c>metrics[3]</c>).</summary>
    public IReadOnlyList<T> Objects<T>(string name, Func<JsonElement, FieldPath, T> read)
    {
        if (!TryGetElement(name, out var value))
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw MlflowException.InvalidParameter($"Invalid value for parameter '{name}' supplied: expected a JSON array.");
        }

        var result = new T[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            var path = new FieldPath(name, i);
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw MlflowException.InvalidParameter($"Invalid value for parameter '{path}' supplied: expected a JSON object.");
            }

            result[i++] = read(item, path);
        }

        return result;
    }

    private string? QueryValue(string name)
    {
        if (_query is not null && _query.TryGetValue(name, out StringValues values) && values.Count > 0)
        {
            return values[0];
        }

        return null;
    }

    private static WireRequest Register(HttpContext context, WireRequest request)
    {
        context.Items[typeof(WireRequest)] = request;
        context.Response.RegisterForDispose(new Releaser(request));
        return request;
    }

    private sealed class Releaser(WireRequest request) : IDisposable
    {
        public void Dispose() => request.Release();
    }

    private static void EnsureJsonContentType(string? contentType)
    {
        const string Json = "application/json";
        if (contentType is not null
            && contentType.StartsWith(Json, StringComparison.OrdinalIgnoreCase)
            && (contentType.Length == Json.Length || contentType[Json.Length] is ';' or ' ' or '\t'))
        {
            return;
        }

        throw MlflowException.InvalidParameter(
            $"Bad Request. Content-Type must be 'application/json', got '{contentType ?? "none"}'.");
    }

    private static async ValueTask<(byte[] Buffer, int Length)> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes)
        {
            throw TooLarge(request.ContentLength.Value, maxBytes);
        }

        var initial = request.ContentLength is > 0 and var known ? (int)known + 1 : 4096;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(initial, maxBytes + 1));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > maxBytes)
                    {
                        throw TooLarge(length, maxBytes);
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxBytes)
                {
                    throw TooLarge(length, maxBytes);
                }
            }

            return (buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static MlflowException TooLarge(long size, int maxBytes) =>
        MlflowException.InvalidParameter($"The request body is too large: more than {maxBytes} bytes (got at least {size}).");

    private static bool IsWhitespace(ReadOnlySpan<byte> bytes) => bytes.IndexOfAnyExcept(" \t\r\n"u8) < 0;

    private static void ReturnBuffer(byte[]? buffer)
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
