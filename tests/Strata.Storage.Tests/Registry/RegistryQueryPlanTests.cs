using Dapper;
using Strata.Core.Registry;
using Strata.Core.Search;

namespace Strata.Storage.Tests.Registry;

/// <summary>The hot registry searches must use an index, never a full scan plus a sort.</summary>
public sealed class RegistryQueryPlanTests
{
    [Theory]
    [InlineData(null, "ix_model_versions_updated")]
    [InlineData("name = 'm'", "sqlite_autoindex_model_versions_1")]
    [InlineData("run_id = 'r'", "ix_model_versions_run")]
    public async Task Model_version_searches_use_an_index(string? filter, string index)
    {
        await using var f = await RegistryFixture.CreateAsync();
        var query = new ModelVersionQuery(SearchFilterParser.Parse(filter, SearchTarget.ModelVersions), [], 100, null);
        var (sql, builder) = f.Store.ModelVersionSearchCommand(query, 0);
        var plan = await f.Database.ReadAsync(
            async (c, ct) => string.Join("\n", (await c.QueryAsync<(long, long, long, string)>(new CommandDefinition("EXPLAIN QUERY PLAN " + sql, builder.Parameters, cancellationToken: ct))).Select(r => r.Item4)),
            CancellationToken.None);
        Assert.Contains(index, plan);
        Assert.DoesNotContain("SCAN mv\n", plan + "\n");
        if (filter is null)
        {
            Assert.DoesNotContain("TEMP B-TREE", plan);
        }
    }
}
