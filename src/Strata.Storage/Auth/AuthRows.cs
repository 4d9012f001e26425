using Strata.Core.Auth;

namespace Strata.Storage.Auth;

/// <summary>Row shapes of the auth tables, for Dapper.</summary>
internal static class AuthRows
{
    public const string UserColumns = "user_id AS Id, username AS Username, is_admin AS IsAdmin, creation_timestamp AS CreationTimestamp";

    public const string TokenColumns =
        "t.token_id AS Id, t.name AS Name, t.user_id AS UserId, u.username AS Username, t.deployment AS Deployment, " +
        "t.creation_timestamp AS CreationTimestamp, t.expiration_timestamp AS ExpirationTimestamp, t.revoked_timestamp AS RevokedTimestamp";

    internal sealed class UserRow
    {
        public long Id { get; set; }

        public string Username { get; set; } = "";

        public long IsAdmin { get; set; }

        public long CreationTimestamp { get; set; }

        public string? PasswordHash { get; set; }

        public AuthUser ToUser() => new(Id, Username, IsAdmin != 0, CreationTimestamp);
    }

    internal sealed class TokenRow
    {
        public string Id { get; set; } = "";

        public string Name { get; set; } = "";

        public long UserId { get; set; }

        public string Username { get; set; } = "";

        public string? Deployment { get; set; }

        public long CreationTimestamp { get; set; }

        public long? ExpirationTimestamp { get; set; }

        public long? RevokedTimestamp { get; set; }

        public long IsAdmin { get; set; }

        public long UserCreationTimestamp { get; set; }

        public ApiToken ToToken() => new(Id, Name, UserId, Username, Deployment, CreationTimestamp, ExpirationTimestamp, RevokedTimestamp);
    }

    internal sealed class GrantRow
    {
        public string Resource { get; set; } = "";

        public long UserId { get; set; }

        public string Permission { get; set; } = "";

        public Permission Level => Enum.Parse<Permission>(Permission);
    }
}
