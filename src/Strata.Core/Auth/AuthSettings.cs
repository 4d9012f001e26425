namespace Strata.Core.Auth;

/// <summary>
/// The permission model's settings: what a user may do on a resource without an explicit grant (MLflow's
/// <c>default_permission</c>, READ unless configured), and the PBKDF2 work factor of new password hashes.
/// </summary>
public sealed record AuthSettings(Permission DefaultPermission = Permission.READ, int PasswordIterations = PasswordHashing.Iterations);
