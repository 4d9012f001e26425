using System.Security.Cryptography;
using System.Text;

namespace Strata.Core.Webhooks;

/// <summary>
/// MLflow's webhook signing: <c>X-MLflow-Signature: v1,&lt;base64 HMAC-SHA256 of "{delivery_id}.{timestamp}.{payload}"&gt;</c>,
/// keyed by the webhook's secret, so a receiver written for MLflow verifies Strata's deliveries unchanged.
/// </summary>
public static class WebhookSignature
{
    public const string SignatureHeader = "X-MLflow-Signature";
    public const string TimestampHeader = "X-MLflow-Timestamp";
    public const string DeliveryIdHeader = "X-MLflow-Delivery-Id";

    public static string Sign(string secret, string deliveryId, string timestamp, string payload)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{deliveryId}.{timestamp}.{payload}"));
        return "v1," + Convert.ToBase64String(mac);
    }

    /// <summary>Checks a signature in constant time (for receivers and tests).</summary>
    public static bool Verify(string secret, string deliveryId, string timestamp, string payload, string? signature) =>
        signature is not null && CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Sign(secret, deliveryId, timestamp, payload)), Encoding.ASCII.GetBytes(signature));
}
