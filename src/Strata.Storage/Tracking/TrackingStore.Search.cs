using System.Data.Common;
using Dapper;
using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Storage.Tracking;

public sealed partial class TrackingStore
{
    private const int MaxSearchResults = 50_000;

    /// <summary>Always run the full search query (tests compare the top-k form against it).</summary>
    internal bool DisableTopK { get; init; }

    private int _topKPages;

    /// <summary>Pages the top-k form settled (tests check that it is used, not only that it agrees).</summary>
    internal int TopKPages => Volatile.Read(ref _topKPages);

    public Task<Page<Run>> SearchRunsAsync(RunQuery query, CancellationToken ct)
    {
        var limit = PageSize(query.MaxResults, 1000);
        var experimentIds = ExperimentIds(query.ExperimentIds);
        var fingerprint = SearchSqlBuilder.Fingerprint("runs|" + query.ViewType, query.ExperimentIds, query.Filter, query.OrderBy);
        var token = PageToken.Decode(query.PageToken, fingerprint);
        if (experimentIds.Count == 0)
        {
            return Task.FromResult(new Page<Run>([], null));
        }

        var after = token?.Keys ?? RequireKeyset(token);
        var builder = new RunSearchSql(_dialect, experimentIds, query, limit + 1, after);
        return database.ReadAsync(
            async (c, t) =>
            {
                if (!DisableTopK && RunSearchSql.CanWalkOrderIndex(query, after, experimentIds.Count))
                {
                    foreach (var factor in TopKCandidateFactors)
                    {
                        var topK = await TryTopKPageAsync(c, experimentIds, query, limit, after, (limit + 1) * factor, fingerprint, t).ConfigureAwait(false);
                        if (topK is { } found)
                        {
                            Interlocked.Increment(ref _topKPages);
                            return new Page<Run>(await LoadRunsAsync(c, found.Rows, t).ConfigureAwait(false), found.Next);
                        }
                    }
                }

                var (rows, next) = await ReadPageAsync<RunRow>(c, builder.Sql, builder, limit, fingerprint, t).ConfigureAwait(false);
                return new Page<Run>(await LoadRunsAsync(c, rows, t).ConfigureAwait(false), next);
            },
            ct);
    }

    /// <summary>
    /// Candidates walked per page row before giving up on the top-k form: a filter matching one run in 8 fills a
    /// page from the first try, one in 60 from the second; rarer matches (or a small experiment in a store whose
    /// key spans many) pay ~70 probes per page row, then the full query, which costs what the filters match.
    /// </summary>
    private static readonly int[] TopKCandidateFactors = [8, 64];

    /// <summary>
    /// A page from the first <paramref name="candidates"/> entries of the order key's index, or null when they do not
    /// settle it: the page must fill (plus the row that says there is a next page) with rows strictly before the last
    /// candidate's value, since runs tied with it may lie past the candidates and sort before the ones found; or the
    /// walk must have read every remaining entry of a column every run has (start_time, run_name): the last page.
    /// </summary>
    private async Task<(List<RunRow> Rows, string? Next)?> TryTopKPageAsync(
        DbConnection c, List<long> experimentIds, RunQuery query, int limit, IReadOnlyList<object>? after, int candidates, string fingerprint, CancellationToken ct)
    {
        var builder = new RunSearchSql(_dialect, experimentIds, query, limit + 1, after, candidates);
        var boundary = await c.ExecuteScalarAsync<object?>(Cmd(builder.BoundarySql, builder.Parameters, null, ct)).ConfigureAwait(false);
        string sql;
        var walkedAll = boundary is null or DBNull;
        if (walkedAll)
        {
            sql = builder.Sql;
        }
        else
        {
            builder.Parameters.Add("boundary", boundary);
            sql = builder.SqlBeforeBoundary;
        }

        var (rows, next) = await ReadPageAsync<RunRow>(c, sql, builder, limit, fingerprint, ct).ConfigureAwait(false);

        // A short page is the end of the results only when the walk ran out of entries and every run has one.
        return next is not null || (walkedAll && RunSearchSql.WalkSeesEveryRun(query)) ? (rows, next) : null;
    }

    public Task<Page<Experiment>> SearchExperimentsAsync(ExperimentQuery query, CancellationToken ct)
    {
        var limit = PageSize(query.MaxResults, 1000);
        var fingerprint = SearchSqlBuilder.Fingerprint("experiments|" + query.ViewType, [], query.Filter, query.OrderBy);
        var token = PageToken.Decode(query.PageToken, fingerprint);
        var builder = new ExperimentSearchSql(_dialect, query, limit + 1, token?.Keys ?? RequireKeyset(token));
        return database.ReadAsync(
            async (c, t) =>
            {
                var (rows, next) = await ReadPageAsync<ExperimentRow>(c, builder.Sql, builder, limit, fingerprint, t).ConfigureAwait(false);
                return new Page<Experiment>(await LoadExperimentsAsync(c, rows, t).ConfigureAwait(false), next);
            },
            ct);
    }

    public Task<Page<LoggedModel>> SearchLoggedModelsAsync(LoggedModelQuery query, CancellationToken ct)
    {
        var limit = PageSize(query.MaxResults, 50);
        var experimentIds = ExperimentIds(query.ExperimentIds);
        var datasetScope = string.Join(";", (query.Datasets ?? []).Select(d => d.Name + "\u0001" + d.Digest)) + "|" +
                           string.Join(";", (query.OrderDatasets ?? []).Select(d => d is null ? "-" : d.Name + "\u0001" + d.Digest));
        var fingerprint = SearchSqlBuilder.Fingerprint("logged-models|" + datasetScope, query.ExperimentIds, query.Filter, query.OrderBy);
        var token = PageToken.Decode(query.PageToken, fingerprint);
        if (experimentIds.Count == 0)
        {
            return Task.FromResult(new Page<LoggedModel>([], null));
        }

        var builder = new LoggedModelSearchSql(_dialect, experimentIds, query, limit + 1, token?.Keys ?? RequireKeyset(token));
        return database.ReadAsync(
            async (c, t) =>
            {
                var (rows, next) = await ReadPageAsync<LoggedModelRow>(c, builder.Sql, builder, limit, fingerprint, t).ConfigureAwait(false);
                return new Page<LoggedModel>(await LoadLoggedModelsAsync(c, null, rows, t).ConfigureAwait(false), next);
            },
            ct);
    }

    private static int PageSize(int maxResults, int fallback) => maxResults switch
    {
        <= 0 => fallback,
        > MaxSearchResults => throw MlflowException.InvalidParameter(
            $"Invalid value {maxResults} for parameter 'max_results' supplied. It must be at most {MaxSearchResults}."),
        _ => maxResults,
    };

    /// <summary>Search tokens are always keyset tokens; an offset token is not one this store issued.</summary>
    private static IReadOnlyList<object>? RequireKeyset(PageToken? token) =>
        token is null ? null : throw MlflowException.InvalidParameter("Invalid page token for this search.");

    /// <summary>Ids that can name an experiment; the others match nothing.</summary>
    private static List<long> ExperimentIds(IReadOnlyList<string> ids) =>
        ids.Select(id => TryParseExperimentId(id, out var v) ? v : (long?)null).OfType<long>().Distinct().ToList();

    /// <summary>
    /// Reads up to <paramref name="limit"/> rows of a query that asked for one more; the extra row's
    /// existence decides the token, which carries the last returned row's sort values.
    /// </summary>
    private static async Task<(List<T> Rows, string? Next)> ReadPageAsync<T>(
        DbConnection c, string sql, SearchSqlBuilder builder, int limit, string fingerprint, CancellationToken ct)
    {
        var rows = new List<T>();
        List<object>? lastKeys = null;
        var more = false;
        await using var reader = await c.ExecuteReaderAsync(Cmd(sql, builder.Parameters, null, ct)).ConfigureAwait(false);
        var parse = reader.GetRowParser<T>();
        var firstSort = reader.GetOrdinal("s0");
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            if (rows.Count == limit)
            {
                more = true;
                break;
            }

            rows.Add(parse(reader));
            lastKeys = builder.ReadSortValues(reader, firstSort);
        }

        var next = more && lastKeys is not null ? new PageToken(fingerprint, lastKeys, null).Encode() : null;
        return (rows, next);
    }
}
