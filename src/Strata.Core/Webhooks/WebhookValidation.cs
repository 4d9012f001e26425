using System.Text.RegularExpressions;
using Strata.Core.Errors;

namespace Strata.Core.Webhooks;

/// <summary>MLflow's rules for webhook fields, with messages that name the field.</summary>
public static partial class WebhookValidation
{
    public const int MaxResults = 1000;

    public static string Name(string? name)
    {
        if (name is null || !NameRegex().IsMatch(name))
        {
            throw MlflowException.InvalidParameter(
                $"Webhook name '{name}' is invalid. It must start and end with a letter or digit, be less than 63 characters long, " +
                "and contain only letters, digits, dots (.), underscores (_), and hyphens (-).");
        }

        return name;
    }

    /// <summary>An absolute http(s) URL with a host; where it may point is the dispatcher's <see cref="WebhookAddressPolicy"/>.</summary>
    public static Uri Url(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw MlflowException.InvalidParameter($"Webhook URL cannot be empty or just whitespace: '{url}'");
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            throw MlflowException.InvalidParameter($"Invalid webhook URL '{url}': it must be an absolute URL with a host.");
        }

        if (uri.Scheme is not ("http" or "https"))
        {
            throw MlflowException.InvalidParameter($"Invalid webhook URL scheme: '{uri.Scheme}'. Allowed schemes are: http, https.");
        }

        return uri;
    }

    public static IReadOnlyList<WebhookEvent> Events(IReadOnlyList<WebhookEvent>? events)
    {
        if (events is null || events.Count == 0)
        {
            throw MlflowException.InvalidParameter("Webhook events must be a non-empty list of events (field 'events').");
        }

        return events.Distinct().ToList();
    }

    public static int PageSize(long? maxResults)
    {
        var value = maxResults ?? 100;
        if (value is < 1 or > MaxResults)
        {
            throw MlflowException.InvalidParameter($"max_results must be between 1 and {MaxResults}.");
        }

        return (int)value;
    }

    [GeneratedRegex("^(?=.{1,63}$)[a-z0-9]([a-z0-9._-]*[a-z0-9])?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NameRegex();
}
