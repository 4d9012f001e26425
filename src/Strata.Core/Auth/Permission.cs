using Strata.Core.Errors;

namespace Strata.Core.Auth;

/// <summary>
/// MLflow's permission levels, totally ordered: each level includes the ones below it. READ reads, EDIT also writes,
/// MANAGE also deletes and grants. The names go on the wire verbatim.
/// </summary>
public enum Permission
{
    NO_PERMISSIONS = 0,
    READ = 1,
    EDIT = 2,
    MANAGE = 3,
}

public static class Permissions
{
    public static bool Allows(this Permission granted, Permission required) => granted >= required;

    /// <summary>Parses a wire name; anything else is INVALID_PARAMETER_VALUE naming <paramref name="field"/>.</summary>
    public static Permission Parse(string? value, string field = "permission")
    {
        if (value is null)
        {
            throw MlflowException.MissingParameter(field);
        }

        return value switch
        {
            "READ" => Permission.READ,
            "EDIT" => Permission.EDIT,
            "MANAGE" => Permission.MANAGE,
            "NO_PERMISSIONS" => Permission.NO_PERMISSIONS,
            _ => throw MlflowException.InvalidParameter(
                $"Invalid permission '{value}' for parameter '{field}'. Valid permissions are: READ, EDIT, MANAGE, NO_PERMISSIONS."),
        };
    }
}
