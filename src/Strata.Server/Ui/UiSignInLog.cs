using Microsoft.Extensions.Logging;

namespace Strata.Server.Ui;

/// <summary>The sign-in page's log lines: the username and address, never the password.</summary>
public static partial class UiSignInLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed UI sign-in for user {Username} from {Address}")]
    public static partial void Failed(ILogger logger, string username, string? address);
}
