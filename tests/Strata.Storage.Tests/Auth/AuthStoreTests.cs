using Strata.Core.Auth;
using Strata.Core.Errors;
using Strata.Storage.Auth;
using Strata.Storage.Tests.Registry;

namespace Strata.Storage.Tests.Auth;

/// <summary>Users, tokens and grants on SQLite; <c>PostgresAuthStoreTests</c> runs the same tests on PostgreSQL.</summary>
public class AuthStoreTests : IAsyncLifetime
{
    private RegistryFixture _f = null!;
    private AuthStore _store = null!;

    public async Task InitializeAsync()
    {
        _f = await CreateFixtureAsync();
        _store = new AuthStore(_f.Database);
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private protected virtual Task<RegistryFixture> CreateFixtureAsync() => RegistryFixture.CreateAsync();

    [Fact]
    public async Task Deployment_grants_are_created_read_updated_and_deleted_and_the_signing_key_is_stored_once()
    {
        var carol = await _store.CreateUserAsync("carol", "hash-c", isAdmin: false, 20, default);
        var created = await _store.CreateDeploymentPermissionAsync("fraud", carol.Id, Permission.EDIT, default);
        Assert.Equal(new DeploymentPermission("fraud", carol.Id, Permission.EDIT), created);
        var dup = await Assert.ThrowsAsync<MlflowException>(() => _store.CreateDeploymentPermissionAsync("fraud", carol.Id, Permission.READ, default));
        Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, dup.Code);
        Assert.True(await _store.UpdateDeploymentPermissionAsync("fraud", carol.Id, Permission.NO_PERMISSIONS, default));
        Assert.Equal(Permission.NO_PERMISSIONS, (await _store.GetDeploymentPermissionAsync("fraud", carol.Id, default))!.Permission);
        Assert.Equal(Permission.NO_PERMISSIONS, (await _store.GetGrantsAsync(carol.Id, default)).Deployments["fraud"]);
        Assert.True(await _store.DeleteDeploymentPermissionAsync("fraud", carol.Id, default));
        Assert.False(await _store.DeleteDeploymentPermissionAsync("fraud", carol.Id, default));
        Assert.Null(await _store.GetDeploymentPermissionAsync("fraud", carol.Id, default));
        Assert.False(await _store.UpdateDeploymentPermissionAsync("fraud", carol.Id, Permission.READ, default));

        // The first candidate is kept; a later one (another replica racing) gets the stored key back.
        Assert.Equal("key-one", await _store.GetOrCreateSigningKeyAsync("purpose", "key-one", 1, default));
        Assert.Equal("key-one", await _store.GetOrCreateSigningKeyAsync("purpose", "key-two", 2, default));
        Assert.Equal("other", await _store.GetOrCreateSigningKeyAsync("another", "other", 3, default));
    }

    [Fact]
    public async Task Users_are_created_once_found_updated_and_deleted_with_their_tokens_and_grants()
    {
        var v0 = await _store.GetVersionAsync(default);
        var alice = await _store.CreateUserAsync("alice", "hash-a", isAdmin: false, 10, default);
        var bob = await _store.CreateUserAsync("bob", "hash-b", isAdmin: true, 11, default);
        Assert.NotEqual(alice.Id, bob.Id);
        Assert.True(await _store.GetVersionAsync(default) > v0);

        var dup = await Assert.ThrowsAsync<MlflowException>(() => _store.CreateUserAsync("alice", "x", false, 12, default));
        Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, dup.Code);

        Assert.Equal("hash-a", (await _store.GetUserSecretAsync("alice", default))!.PasswordHash);
        Assert.True(await _store.UpdatePasswordAsync("alice", "hash-a2", default));
        Assert.Equal("hash-a2", (await _store.GetUserSecretAsync("alice", default))!.PasswordHash);
        Assert.False(await _store.UpdatePasswordAsync("nobody", "h", default));
        Assert.Equal(1, await _store.CountAdminsAsync(default));
        Assert.True(await _store.UpdateAdminAsync("alice", true, default));
        Assert.True((await _store.GetUserAsync("alice", default))!.IsAdmin);

        await _store.CreateTokenAsync("t1", "secret-hash-1", alice.Id, "ci", null, 20, null, default);
        await _store.CreateExperimentPermissionAsync("1", alice.Id, Permission.EDIT, default);
        await _store.CreateRegisteredModelPermissionAsync("m", alice.Id, Permission.READ, default);
        await _store.SetDeploymentPermissionAsync("d", alice.Id, Permission.MANAGE, default);

        Assert.True(await _store.DeleteUserAsync("alice", default));
        Assert.Null(await _store.GetUserAsync("alice", default));
        Assert.Null(await _store.FindTokenAsync("secret-hash-1", default));
        var grants = await _store.GetGrantsAsync(alice.Id, default);
        Assert.Empty(grants.Experiments);
        Assert.Empty(grants.RegisteredModels);
        Assert.Empty(grants.Deployments);
        Assert.False(await _store.DeleteUserAsync("alice", default));

        var page = await _store.ListUsersAsync(10, null, default);
        Assert.Equal(["bob"], page.Items.Select(u => u.Username));
    }

    [Fact]
    public async Task Tokens_are_found_by_hash_listed_newest_first_and_revoked()
    {
        var carol = await _store.CreateUserAsync("carol", "h", false, 1, default);
        var dave = await _store.CreateUserAsync("dave", "h", false, 1, default);
        await _store.CreateTokenAsync("t-old", "hash-old", carol.Id, "old", null, 100, null, default);
        var scoped = await _store.CreateTokenAsync("t-new", "hash-new", carol.Id, "serve", "fraud", 200, 5000, default);
        await _store.CreateTokenAsync("t-dave", "hash-dave", dave.Id, "d", null, 300, null, default);
        Assert.Equal("fraud", scoped.Deployment);
        Assert.Equal(5000, scoped.ExpirationTimestamp);

        var found = await _store.FindTokenAsync("hash-new", default);
        Assert.Equal("carol", found!.User.Username);
        Assert.Equal("t-new", found.Token.Id);
        Assert.Null(await _store.FindTokenAsync("no-such-hash", default));

        Assert.Equal(["t-new", "t-old"], (await _store.ListTokensAsync(carol.Id, default)).Select(t => t.Id));
        Assert.Equal(3, (await _store.ListTokensAsync(null, default)).Count);

        Assert.True(await _store.RevokeTokenAsync("t-new", 300, default));
        Assert.False(await _store.RevokeTokenAsync("t-new", 400, default));
        var revoked = (await _store.FindTokenAsync("hash-new", default))!.Token;
        Assert.Equal(300, revoked.RevokedTimestamp);
        Assert.False(revoked.IsActive(301));
        Assert.True((await _store.GetTokenAsync("t-old", default))!.IsActive(10_000));
        Assert.False(scoped.IsActive(5000)); // expired at its expiration time
    }

    [Fact]
    public async Task Grants_are_unique_per_resource_and_user_follow_renames_and_go_with_deletes()
    {
        var erin = await _store.CreateUserAsync("erin", "h", false, 1, default);
        var frank = await _store.CreateUserAsync("frank", "h", false, 1, default);
        await _store.CreateExperimentPermissionAsync("7", erin.Id, Permission.READ, default);
        var dup = await Assert.ThrowsAsync<MlflowException>(() => _store.CreateExperimentPermissionAsync("7", erin.Id, Permission.EDIT, default));
        Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, dup.Code);
        Assert.True(await _store.UpdateExperimentPermissionAsync("7", erin.Id, Permission.MANAGE, default));
        Assert.Equal(Permission.MANAGE, (await _store.GetExperimentPermissionAsync("7", erin.Id, default))!.Permission);
        Assert.Null(await _store.GetExperimentPermissionAsync("7", frank.Id, default));
        await _store.SetExperimentPermissionAsync("7", erin.Id, Permission.EDIT, default); // upsert over an existing grant
        await _store.SetExperimentPermissionAsync("8", erin.Id, Permission.NO_PERMISSIONS, default);

        await _store.CreateRegisteredModelPermissionAsync("old-name", erin.Id, Permission.EDIT, default);
        await _store.CreateRegisteredModelPermissionAsync("old-name", frank.Id, Permission.READ, default);
        await _store.RenameRegisteredModelPermissionsAsync("old-name", "new-name", default);
        Assert.Null(await _store.GetRegisteredModelPermissionAsync("old-name", erin.Id, default));
        Assert.Equal(Permission.READ, (await _store.GetRegisteredModelPermissionAsync("new-name", frank.Id, default))!.Permission);

        var grants = await _store.GetGrantsAsync(erin.Id, default);
        Assert.Equal(Permission.EDIT, grants.Experiments["7"]);
        Assert.Equal(Permission.NO_PERMISSIONS, grants.Experiments["8"]);
        Assert.Equal(Permission.EDIT, grants.RegisteredModels["new-name"]);

        await _store.DeleteRegisteredModelPermissionsAsync("new-name", default);
        Assert.Empty((await _store.GetGrantsAsync(frank.Id, default)).RegisteredModels);
        Assert.True(await _store.DeleteExperimentPermissionAsync("7", erin.Id, default));
        Assert.False(await _store.DeleteExperimentPermissionAsync("7", erin.Id, default));
    }
}
