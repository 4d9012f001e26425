using Dapper;
using Strata.Core.Registry;
using Strata.Storage.Database;

namespace Strata.Storage.Monitoring;

/// <summary>Reads the registry's event log for monitoring's background work (versions created after an event id).</summary>
public sealed class MonitoringEventReader(IDatabase database)
{
    public Task<IReadOnlyList<(long EventId, string ModelName, long Version)>> ListCreatedVersionsAsync(long afterEventId, int max, CancellationToken ct) =>
        database.ReadAsync<IReadOnlyList<(long, string, long)>>(
            async (c, token) => (await c.QueryAsync<(long, string, long)>(new CommandDefinition(
                """
                SELECT id, model_name, version FROM registry_events
                WHERE id > @afterEventId AND event_type = @type AND version IS NOT NULL ORDER BY id LIMIT @max
                """,
                new { afterEventId, type = RegistryEventTypes.ModelVersionCreated, max },
                cancellationToken: token)).ConfigureAwait(false)).ToList(),
            ct);
}
