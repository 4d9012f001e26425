using Microsoft.Extensions.Logging;
using Strata.Core.Tracking;

namespace Strata.Server.Tracking;

/// <summary>
/// The service truncates over-long param and run-tag values silently (MLflow's default); like MLflow, the
/// server says so in its log, naming the run, the key and both lengths, so a cut value can be traced.
/// </summary>
internal static partial class TruncationWarnings
{
    public static void Params(ILogger logger, string? owner, IReadOnlyList<KeyValueRequest> items) =>
        Check(logger, owner, items, "param", TrackingLimits.MaxParamValueLength);

    public static void Tags(ILogger logger, string? owner, IReadOnlyList<KeyValueRequest> items) =>
        Check(logger, owner, items, "tag", TrackingLimits.MaxRunTagValueLength);

    private static void Check(ILogger logger, string? owner, IReadOnlyList<KeyValueRequest> items, string kind, int limit)
    {
        foreach (var item in items)
        {
            if (item.Value is { Length: var length } && length > limit)
            {
                Truncated(logger, kind, item.Key, owner, length, limit);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Truncated the value of {Kind} '{Key}' of {Owner} from {Length} to {Limit} characters.")]
    private static partial void Truncated(ILogger logger, string kind, string? key, string? owner, int length, int limit);
}
