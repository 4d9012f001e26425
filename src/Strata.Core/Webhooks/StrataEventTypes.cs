namespace Strata.Core.Webhooks;

/// <summary>Event types other capabilities write to the registry event log that webhooks deliver (see <see cref="WebhookPayloads"/>).</summary>
public static class StrataEventTypes
{
    /// <summary>Written by scheduled jobs when an execution ends; the payload is the execution.</summary>
    public const string JobFinished = "job.finished";
}
