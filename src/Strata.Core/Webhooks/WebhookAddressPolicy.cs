using System.Net;
using Strata.Core.Errors;

namespace Strata.Core.Webhooks;

/// <summary>
/// Where webhooks may point. By default anything but link-local and cloud metadata addresses (a webhook must not be
/// a way to read the instance's credentials); a non-empty host allow-list narrows it to those hosts. Checked when a
/// webhook is saved (its literal host) and again on every connection (the resolved address), so DNS cannot route
/// around it.
/// </summary>
public sealed class WebhookAddressPolicy(IReadOnlyCollection<string> allowedHosts, IReadOnlyCollection<IPNetwork> deniedNetworks, IReadOnlyCollection<string> deniedHosts)
{
    public static IReadOnlyList<IPNetwork> DefaultDeniedNetworks { get; } =
    [
        IPNetwork.Parse("169.254.0.0/16"),   // IPv4 link-local, including 169.254.169.254 (AWS, GCP, Azure metadata)
        IPNetwork.Parse("fe80::/10"),        // IPv6 link-local
        IPNetwork.Parse("fd00:ec2::254/128"), // AWS metadata over IPv6
        IPNetwork.Parse("100.100.100.200/32"), // Alibaba Cloud metadata
    ];

    public static IReadOnlyList<string> DefaultDeniedHosts { get; } = ["metadata.google.internal", "metadata"];

    public static WebhookAddressPolicy Default { get; } = new([], DefaultDeniedNetworks, DefaultDeniedHosts);

    /// <summary>Throws INVALID_PARAMETER_VALUE naming the URL when its host may not receive webhooks.</summary>
    public void CheckUrl(Uri url)
    {
        var host = url.IdnHost.Trim('[', ']');
        if (allowedHosts.Count > 0 && !allowedHosts.Contains(host, StringComparer.OrdinalIgnoreCase))
        {
            throw MlflowException.InvalidParameter($"Webhook URL '{url}' is not allowed: its host is not in the allowed webhook hosts.");
        }

        if (deniedHosts.Contains(host, StringComparer.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && !IsAllowed(address)))
        {
            throw MlflowException.InvalidParameter($"Webhook URL '{url}' is not allowed: it points at a link-local or metadata address.");
        }
    }

    /// <summary>Whether a resolved address may be connected to.</summary>
    public bool IsAllowed(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in deniedNetworks)
        {
            if (network.Contains(address))
            {
                return false;
            }
        }

        return true;
    }
}
