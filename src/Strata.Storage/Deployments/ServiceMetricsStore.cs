using System.Data.Common;
using Dapper;
using Strata.Core.Deployments;
using Strata.Storage.Database;

namespace Strata.Storage.Deployments;

/// <summary><see cref="IServiceMetricsStore"/> on SQLite or PostgreSQL: one upsert per row, all rows of a flush in one transaction.</summary>
public sealed class ServiceMetricsStore(IDatabase database) : IServiceMetricsStore
{
    public Task UpsertAsync(IReadOnlyList<ServiceMetricsRow> rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return Task.CompletedTask;
        }

        // Built before the transaction: a PostgreSQL retry re-sends the same values.
        var parameters = rows.Select(r => new
        {
            r.DeploymentName,
            Resolution = (int)r.Resolution,
            r.BucketStartMs,
            r.ModelName,
            r.ModelVersion,
            Shadow = r.Shadow ? 1 : 0,
            r.ReplicaId,
            r.Requests,
            r.Errors,
            r.LatencySumMicroseconds,
            r.CpuMicroseconds,
            r.AllocatedBytes,
            Sketch = r.Latency.Serialize(),
        }).ToList();
        return database.WriteAsync(async (c, tx, token) =>
            await c.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO deployment_metrics (deployment_name, resolution, bucket_start_ms, model_name, model_version, shadow, replica_id,
                    requests, errors, latency_sum_us, cpu_us, allocated_bytes, latency_sketch)
                VALUES (@DeploymentName, @Resolution, @BucketStartMs, @ModelName, @ModelVersion, @Shadow, @ReplicaId,
                    @Requests, @Errors, @LatencySumMicroseconds, @CpuMicroseconds, @AllocatedBytes, @Sketch)
                ON CONFLICT (deployment_name, resolution, bucket_start_ms, model_name, model_version, shadow, replica_id) DO UPDATE SET
                    requests = excluded.requests, errors = excluded.errors, latency_sum_us = excluded.latency_sum_us,
                    cpu_us = excluded.cpu_us, allocated_bytes = excluded.allocated_bytes, latency_sketch = excluded.latency_sketch
                """,
                parameters, tx, cancellationToken: token)).ConfigureAwait(false), ct);
    }

    public Task<IReadOnlyList<ServiceMetricsRow>> ReadAsync(string deploymentName, MetricsResolution resolution, long fromMs, long toMs, CancellationToken ct) =>
        database.ReadAsync<IReadOnlyList<ServiceMetricsRow>>(async (DbConnection c, CancellationToken token) =>
            (await c.QueryAsync<Row>(new CommandDefinition(
                """
                SELECT deployment_name AS DeploymentName, resolution AS Resolution, bucket_start_ms AS BucketStartMs, model_name AS ModelName,
                    model_version AS ModelVersion, shadow AS Shadow, replica_id AS ReplicaId, requests AS Requests, errors AS Errors,
                    latency_sum_us AS LatencySum, cpu_us AS Cpu, allocated_bytes AS Allocated, latency_sketch AS Sketch
                FROM deployment_metrics
                WHERE deployment_name = @deploymentName AND resolution = @resolution AND bucket_start_ms >= @fromMs AND bucket_start_ms < @toMs
                """,
                new { deploymentName, resolution = (int)resolution, fromMs, toMs }, cancellationToken: token)).ConfigureAwait(false))
            .Select(r => new ServiceMetricsRow(
                r.DeploymentName, r.ModelName, r.ModelVersion, r.Shadow != 0, (MetricsResolution)r.Resolution, r.BucketStartMs, r.ReplicaId,
                r.Requests, r.Errors, r.LatencySum, r.Cpu, r.Allocated, LatencySketch.Deserialize(r.Sketch)))
            .ToList(), ct);

    public Task<int> DeleteMinuteRowsBeforeAsync(long beforeMs, CancellationToken ct) =>
        database.WriteAsync((c, tx, token) => c.ExecuteAsync(new CommandDefinition(
            "DELETE FROM deployment_metrics WHERE resolution = @minute AND bucket_start_ms < @beforeMs",
            new { minute = (int)MetricsResolution.Minute, beforeMs }, tx, cancellationToken: token)), ct);

    private sealed class Row
    {
        public string DeploymentName { get; set; } = "";
        public long Resolution { get; set; }
        public long BucketStartMs { get; set; }
        public string ModelName { get; set; } = "";
        public string ModelVersion { get; set; } = "";
        public long Shadow { get; set; }
        public string ReplicaId { get; set; } = "";
        public long Requests { get; set; }
        public long Errors { get; set; }
        public long LatencySum { get; set; }
        public long Cpu { get; set; }
        public long Allocated { get; set; }
        public string Sketch { get; set; } = "";
    }
}
