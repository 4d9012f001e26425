using Strata.Core.Auth;
using Strata.Core.Errors;

namespace Strata.Core.Tests.Auth;

public class PasswordHashingTests
{
    [Fact]
    public void A_hash_verifies_its_password_only_and_records_its_work_factor()
    {
        var hash = PasswordHashing.Hash("correct horse", iterations: 1000);
        Assert.StartsWith("pbkdf2-sha256$1000$", hash, StringComparison.Ordinal);
        Assert.True(PasswordHashing.Verify("correct horse", hash));
        Assert.False(PasswordHashing.Verify("correct horsf", hash));
        Assert.False(PasswordHashing.Verify("", hash));
        Assert.NotEqual(hash, PasswordHashing.Hash("correct horse", iterations: 1000)); // salted
    }

    [Fact]
    public void The_default_work_factor_is_at_least_owasps_floor() => Assert.True(PasswordHashing.Iterations >= 600_000);

    [Theory]
    [InlineData("")]
    [InlineData("plain")]
    [InlineData("pbkdf2-sha256$x$AAAA$AAAA")]
    [InlineData("pbkdf2-sha256$1000$not base64$AAAA")]
    [InlineData("bcrypt$10$AAAA$AAAA")]
    public void Malformed_stored_values_never_verify(string stored) => Assert.False(PasswordHashing.Verify("anything", stored));

    [Fact]
    public void Token_secrets_are_256_bit_random_and_stored_as_sha256()
    {
        var a = ApiTokenSecrets.NewSecret();
        var b = ApiTokenSecrets.NewSecret();
        Assert.NotEqual(a, b);
        Assert.StartsWith(ApiTokenSecrets.Prefix, a, StringComparison.Ordinal);
        Assert.Equal(43, a.Length - ApiTokenSecrets.Prefix.Length); // 32 bytes in unpadded base64url
        Assert.Equal(64, ApiTokenSecrets.HashSecret(a).Length);
        Assert.Equal(ApiTokenSecrets.HashSecret(a), ApiTokenSecrets.HashSecret(a));
        Assert.DoesNotContain(a, ApiTokenSecrets.HashSecret(a), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("READ", Permission.READ)]
    [InlineData("EDIT", Permission.EDIT)]
    [InlineData("MANAGE", Permission.MANAGE)]
    [InlineData("NO_PERMISSIONS", Permission.NO_PERMISSIONS)]
    public void Permissions_parse_from_mlflow_names(string name, Permission expected) => Assert.Equal(expected, Permissions.Parse(name));

    [Fact]
    public void Unknown_permissions_are_invalid_parameters_and_levels_are_ordered()
    {
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, Assert.Throws<MlflowException>(() => Permissions.Parse("read")).Code);
        Assert.True(Permission.MANAGE.Allows(Permission.EDIT));
        Assert.True(Permission.EDIT.Allows(Permission.READ));
        Assert.False(Permission.READ.Allows(Permission.EDIT));
        Assert.False(Permission.NO_PERMISSIONS.Allows(Permission.READ));
    }
}
