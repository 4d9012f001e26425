using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Strata.Core.Auth;
using Strata.Server.Hosting;

namespace Strata.Server.Auth;

/// <summary>
/// The signed grant each multipart part URL carries with <c>--auth</c>, so a client PUTs its parts with no credentials
/// (MLflow's clients send none: they treat these URLs as S3 presigned URLs). The grant is
/// <c>expires=&lt;unix seconds&gt;&amp;signature=&lt;HMAC-SHA256, base64url&gt;</c> over the file's path, the upload id,
/// the part number and the expiry, so it authorises that one part of that one upload until it expires and nothing else.
/// The key is random, stored once in the database (<c>auth_signing_keys</c>) and read by every replica, so any replica
/// honours a URL another signed, also across restarts.
/// </summary>
public sealed class PartUrlGrants(IAuthStore store, IOptions<StrataServerOptions> options, TimeProvider time)
{
    public const string ExpiresField = "expires";
    public const string SignatureField = "signature";
    private const string Purpose = "multipart-part-url";

    private readonly SemaphoreSlim _loading = new(1, 1);
    private byte[]? _key;

    /// <summary>Part URLs are signed only with <c>--auth</c>; without it the part endpoint is open like every other.</summary>
    public bool Enabled => options.Value.Auth.Enabled;

    /// <summary>The query-string suffix (<c>&amp;expires=...&amp;signature=...</c>) of one part's URL.</summary>
    public async ValueTask<string> SignAsync(string file, string uploadId, int partNumber, CancellationToken ct)
    {
        var expires = time.GetUtcNow().Add(options.Value.Auth.PartUrlLifetime).ToUnixTimeSeconds();
        var signature = Sign(await KeyAsync(ct).ConfigureAwait(false), file, uploadId, partNumber, expires);
        return $"&{ExpiresField}={expires.ToString(CultureInfo.InvariantCulture)}&{SignatureField}={signature}";
    }

    /// <summary>Why this part PUT is not authorised by its grant, or null when it is.</summary>
    public async ValueTask<string?> DenialAsync(HttpContext http)
    {
        var query = http.Request.Query;
        var file = FileOf(http.GetRouteValue("path") as string);
        var uploadId = query["upload_id"].ToString();
        var expiresText = query[ExpiresField].ToString();
        var signature = query[SignatureField].ToString();
        if (string.IsNullOrEmpty(file) || uploadId.Length == 0 || signature.Length == 0 || expiresText.Length == 0)
        {
            return "This part URL carries no signed grant: use the URLs the create-multipart-upload answer gave.";
        }

        if (!int.TryParse(query["part_number"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var partNumber)
            || !long.TryParse(expiresText, NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
        {
            return "This part URL's grant is malformed.";
        }

        // The signature first (constant time), then the expiry: a forged expiry is "invalid", not "expired".
        var expected = Encoding.ASCII.GetBytes(Sign(await KeyAsync(http.RequestAborted).ConfigureAwait(false), file, uploadId, partNumber, expires));
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature)))
        {
            return "This part URL's grant is invalid for this path, upload and part.";
        }

        return time.GetUtcNow().ToUnixTimeSeconds() >= expires
            ? "This part URL's grant has expired; start the upload again."
            : null;
    }

    /// <summary>The file as the part handler reads it (and as it was signed), or null when it is no valid artifact path.</summary>
    private static string? FileOf(string? routeValue)
    {
        try
        {
            return routeValue is null ? null : Strata.Core.Artifacts.ArtifactPath.Validate(routeValue.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase));
        }
        catch (Strata.Core.Errors.MlflowException)
        {
            return null;
        }
    }

    private static string Sign(byte[] key, string file, string uploadId, int partNumber, long expires)
    {
        // Each field prefixed by its length, so no two different grants sign the same text.
        var text = string.Concat(new[] { Purpose, file, uploadId, partNumber.ToString(CultureInfo.InvariantCulture), expires.ToString(CultureInfo.InvariantCulture) }
            .Select(f => f.Length.ToString(CultureInfo.InvariantCulture) + ":" + f));
        return WebEncoders.Base64UrlEncode(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text)));
    }

    private async ValueTask<byte[]> KeyAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _key) is { } known)
        {
            return known;
        }

        await _loading.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_key is null)
            {
                var candidate = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
                var stored = await store.GetOrCreateSigningKeyAsync(Purpose, candidate, time.GetUtcNow().ToUnixTimeMilliseconds(), ct).ConfigureAwait(false);
                Volatile.Write(ref _key, Convert.FromBase64String(stored));
            }

            return _key!;
        }
        finally
        {
            _loading.Release();
        }
    }
}
