using Dapper;
using Strata.Core.Registry;
using Strata.Core.Tracking;
using static Strata.Storage.Registry.RegistryRows;

namespace Strata.Storage.Registry;

public sealed partial class RegistryStore
{
    public Task<Page<RegisteredModel>> SearchRegisteredModelsAsync(RegisteredModelQuery query, CancellationToken ct)
    {
        var offset = OffsetPageToken.Decode(query.PageToken);
        var (text, sql) = RegisteredModelSearchCommand(query, offset);
        return database.ReadAsync(async (c, token) =>
        {
            var rows = (await c.QueryAsync<ModelRow>(Cmd(text, sql.Parameters, null, token)).ConfigureAwait(false)).ToList();
            var more = rows.Count > query.MaxResults;
            var page = more ? rows.GetRange(0, query.MaxResults) : rows;
            var models = await LoadModelsAsync(c, null, page, token).ConfigureAwait(false);
            return new Page<RegisteredModel>(models, more ? OffsetPageToken.Encode(offset + query.MaxResults) : null);
        }, ct);
    }

    public Task<Page<ModelVersion>> SearchModelVersionsAsync(ModelVersionQuery query, CancellationToken ct)
    {
        var offset = OffsetPageToken.Decode(query.PageToken);
        var (text, sql) = ModelVersionSearchCommand(query, offset);
        return database.ReadAsync(async (c, token) =>
        {
            var rows = (await c.QueryAsync<VersionRow>(Cmd(text, sql.Parameters, null, token)).ConfigureAwait(false)).ToList();
            var more = rows.Count > query.MaxResults;
            var page = more ? rows.GetRange(0, query.MaxResults) : rows;
            var versions = await LoadVersionsAsync(c, null, page, token).ConfigureAwait(false);
            return new Page<ModelVersion>(versions, more ? OffsetPageToken.Encode(offset + query.MaxResults) : null);
        }, ct);
    }

    /// <summary>Permission filtering inside the query (see <see cref="Core.Auth.ReadScope"/>), so pages stay full and page tokens right.</summary>
    private string Readable(Core.Auth.ReadScope? scope, string nameColumn, RegistrySearchSql sql)
    {
        if (scope is null)
        {
            return "";
        }

        sql.Parameters.Add("readable", new Database.ListParameter(Dialect.TextListValue(scope.Except.ToList())));
        return $" AND {nameColumn} {(scope.ReadableByDefault ? "NOT IN" : "IN")} (SELECT rs.value FROM {Dialect.ListTable("@readable", "rs")})";
    }

    /// <summary>The SQL and parameters of one registered-model search page (internal for query-plan tests).</summary>
    internal (string Sql, RegistrySearchSql Builder) RegisteredModelSearchCommand(RegisteredModelQuery query, long offset)
    {
        var sql = new RegistrySearchSql(Dialect, versions: false);
        if (!sql.AddFilter(query.Filter))
        {
            sql.ExcludePrompts();
        }

        var text = $"SELECT {ModelColumns} FROM registered_models rm WHERE 1 = 1{sql.Where}{Readable(query.Readable, "rm.name", sql)} ORDER BY {sql.OrderBy(query.OrderBy)} LIMIT @limit OFFSET @offset";
        sql.Parameters.Add("limit", query.MaxResults + 1L);
        sql.Parameters.Add("offset", offset);
        return (text, sql);
    }

    /// <summary>The SQL and parameters of one model-version search page (internal for query-plan tests).</summary>
    internal (string Sql, RegistrySearchSql Builder) ModelVersionSearchCommand(ModelVersionQuery query, long offset)
    {
        var sql = new RegistrySearchSql(Dialect, versions: true);
        if (!sql.AddFilter(query.Filter))
        {
            sql.ExcludePrompts();
        }

        var text = $"SELECT {VersionColumns} FROM model_versions mv WHERE mv.current_stage <> @deleted{sql.Where}{Readable(query.Readable, "mv.name", sql)} ORDER BY {sql.OrderBy(query.OrderBy)} LIMIT @limit OFFSET @offset";
        sql.Parameters.Add("deleted", DeletedStage);
        sql.Parameters.Add("limit", query.MaxResults + 1L);
        sql.Parameters.Add("offset", offset);
        return (text, sql);
    }

    public Task<Page<RegistryEvent>> ListEventsAsync(string? modelName, int maxResults, string? pageToken, CancellationToken ct)
    {
        var afterId = OffsetPageToken.DecodeAfterId(pageToken);
        var byName = modelName is null ? string.Empty : " AND model_name = @modelName";
        var text = $"""
            SELECT id AS Id, event_time AS EventTime, user_id AS UserId, event_type AS EventType, model_name AS ModelName,
                   version AS Version, before_json AS BeforeJson, after_json AS AfterJson
            FROM registry_events WHERE id > @afterId{byName} ORDER BY id LIMIT @limit
            """;
        return database.ReadAsync(async (c, token) =>
        {
            var rows = (await c.QueryAsync<EventRow>(Cmd(text, new { afterId, modelName, limit = maxResults + 1L }, null, token)).ConfigureAwait(false)).ToList();
            var more = rows.Count > maxResults;
            var page = more ? rows.GetRange(0, maxResults) : rows;
            var events = page.Select(r => new RegistryEvent(r.Id, r.EventTime, r.UserId, r.EventType, r.ModelName, r.Version, r.BeforeJson, r.AfterJson)).ToList();
            return new Page<RegistryEvent>(events, more ? OffsetPageToken.EncodeAfterId(page[^1].Id) : null);
        }, ct);
    }
}
