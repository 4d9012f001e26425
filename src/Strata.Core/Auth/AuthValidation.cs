using Strata.Core.Errors;

namespace Strata.Core.Auth;

/// <summary>Wire rules for users, passwords and tokens; each failure names its field.</summary>
public static class AuthValidation
{
    public const int MaxUsernameLength = 255;
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 1024;
    public const int MaxTokenNameLength = 255;

    public static string RequireUsername(string? username, string field = "username")
    {
        if (string.IsNullOrEmpty(username))
        {
            throw MlflowException.MissingParameter(field);
        }

        // ':' cannot travel in HTTP basic credentials' user part; control characters would forge log lines.
        if (username.Length > MaxUsernameLength || username.Contains(':', StringComparison.Ordinal) || username.Any(char.IsControl)
            || username.Trim().Length != username.Length)
        {
            throw MlflowException.InvalidParameter(
                $"Invalid value for parameter '{field}': a username is 1 to {MaxUsernameLength} characters without ':', control characters or surrounding spaces.");
        }

        return username;
    }

    public static string RequirePassword(string? password, string field = "password")
    {
        if (string.IsNullOrEmpty(password))
        {
            throw MlflowException.MissingParameter(field);
        }

        if (password.Length < MinPasswordLength || password.Length > MaxPasswordLength)
        {
            // Never echo the value: it is a secret even when it is wrong.
            throw MlflowException.InvalidParameter(
                $"Invalid value for parameter '{field}': a password is {MinPasswordLength} to {MaxPasswordLength} characters.");
        }

        return password;
    }

    public static string RequireTokenName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw MlflowException.MissingParameter("name");
        }

        if (name.Length > MaxTokenNameLength || name.Any(char.IsControl))
        {
            throw MlflowException.InvalidParameter($"Invalid value for parameter 'name': 1 to {MaxTokenNameLength} characters without control characters.");
        }

        return name;
    }

    public static string RequireExperimentId(string? experimentId)
    {
        if (string.IsNullOrEmpty(experimentId))
        {
            throw MlflowException.MissingParameter("experiment_id");
        }

        if (!long.TryParse(experimentId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            throw MlflowException.InvalidParameter($"Invalid value for parameter 'experiment_id': '{experimentId}' is not an experiment id.");
        }

        return experimentId;
    }

    public static string RequireName(string? name, string field = "name")
    {
        if (string.IsNullOrEmpty(name))
        {
            throw MlflowException.MissingParameter(field);
        }

        return name;
    }
}
