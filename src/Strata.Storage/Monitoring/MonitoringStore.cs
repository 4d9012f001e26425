using System.Data.Common;
using Dapper;
using Strata.Core.Errors;
using Strata.Core.Monitoring;
using Strata.Storage.Database;

namespace Strata.Storage.Monitoring;

/// <summary><see cref="IMonitoringStore"/> on SQLite or PostgreSQL (the same SQL on both).</summary>
public sealed partial class MonitoringStore(IDatabase database) : IMonitoringStore
{
    private const string DeletedStage = "Deleted_Internal";

    private const string RunColumns =
        "run_id AS Id, deployment AS Deployment, model_name AS ModelName, version AS Version, window_start_ms AS WindowStartMs, " +
        "window_end_ms AS WindowEndMs, computed_at AS ComputedAtMs, trigger_kind AS TriggerKind, method AS Method, reference_rows AS ReferenceRows, " +
        "current_rows AS CurrentRows, features_compared AS FeaturesCompared, features_drifted AS FeaturesDrifted, drift_share AS DriftShare";

    private const string ThresholdColumns =
        "deployment AS Deployment, error_rate AS ErrorRate, latency_p99_ms AS LatencyP99Ms, drift_share AS DriftShare, " +
        "updated_at AS UpdatedAt, updated_by AS UpdatedBy, drift_alerting AS DriftAlerting, window_minutes AS WindowMinutes, min_requests AS MinRequests";

    public Task PutProfileAsync(string modelName, long version, ReferenceProfile profile, long nowMs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var json = MonitoringJson.Serialize(profile);
        return database.WriteAsync(
            async (c, tx, token) =>
            {
                var live = await c.ExecuteScalarAsync<long?>(Cmd(
                    "SELECT version FROM model_versions WHERE name = @modelName AND version = @version AND current_stage <> @deleted",
                    new { modelName, version, deleted = DeletedStage }, tx, token)).ConfigureAwait(false);
                if (live is null)
                {
                    throw MlflowException.NotFound($"Model Version (name={modelName}, version={version}) not found");
                }

                await c.ExecuteAsync(Cmd(
                    """
                    INSERT INTO reference_profiles (model_name, version, created_at, source, row_count, profile_json)
                    VALUES (@modelName, @version, @nowMs, @source, @rows, @json)
                    ON CONFLICT (model_name, version) DO UPDATE SET created_at = excluded.created_at, source = excluded.source,
                        row_count = excluded.row_count, profile_json = excluded.profile_json
                    """,
                    new { modelName, version, nowMs, source = profile.Source, rows = profile.RowCount, json }, tx, token)).ConfigureAwait(false);
                return 0;
            },
            ct);
    }

    public Task<StoredProfile?> GetProfileAsync(string modelName, long version, CancellationToken ct) =>
        database.ReadAsync<StoredProfile?>(
            async (c, token) =>
            {
                var row = await c.QuerySingleOrDefaultAsync<ProfileRow>(Cmd(
                    """
                    SELECT p.model_name AS ModelName, p.version AS Version, p.created_at AS CreatedAt, p.profile_json AS ProfileJson
                    FROM reference_profiles p JOIN model_versions mv ON mv.name = p.model_name AND mv.version = p.version
                    WHERE p.model_name = @modelName AND p.version = @version AND mv.current_stage <> @deleted
                    """,
                    new { modelName, version, deleted = DeletedStage }, null, token)).ConfigureAwait(false);
                return row is null ? null : new StoredProfile(row.ModelName, row.Version, row.CreatedAt, MonitoringJson.Deserialize(row.ProfileJson));
            },
            ct);

    public Task<IReadOnlyList<(string ModelName, long Version)>> ListProfiledVersionsAsync(CancellationToken ct) =>
        database.ReadAsync<IReadOnlyList<(string, long)>>(
            async (c, token) => (await c.QueryAsync<(string, long)>(Cmd(
                """
                SELECT p.model_name, p.version FROM reference_profiles p JOIN model_versions mv ON mv.name = p.model_name AND mv.version = p.version
                WHERE mv.current_stage <> @deleted ORDER BY p.model_name, p.version
                """,
                new { deleted = DeletedStage }, null, token)).ConfigureAwait(false)).ToList(),
            ct);

    public Task<DriftRun?> AddDriftRunAsync(DriftRun run, string? userId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        var scheduled = run.Trigger == DriftTriggers.Schedule;
        var insert = $"""
            INSERT INTO drift_runs (deployment, model_name, version, window_start_ms, window_end_ms, computed_at, trigger_kind, method,
                reference_rows, current_rows, features_compared, features_drifted, drift_share)
            VALUES (@Deployment, @ModelName, @Version, @WindowStartMs, @WindowEndMs, @ComputedAtMs, @Trigger, @Method,
                @ReferenceRows, @CurrentRows, @FeaturesCompared, @FeaturesDrifted, @DriftShare)
            {(scheduled ? "ON CONFLICT (deployment, model_name, version, window_start_ms, window_end_ms) WHERE trigger_kind = 'schedule' DO NOTHING" : "")}
            RETURNING run_id
            """;
        return database.WriteAsync<DriftRun?>(
            async (c, tx, token) =>
            {
                var id = await c.ExecuteScalarAsync<long?>(Cmd(insert, run, tx, token)).ConfigureAwait(false);
                if (id is null)
                {
                    return null;
                }

                await c.ExecuteAsync(Cmd(
                    """
                    INSERT INTO drift_features (run_id, feature, is_prediction, kind, method, score, threshold, drifted, current_count, current_missing)
                    VALUES (@RunId, @Feature, @IsPrediction, @Kind, @Method, @Score, @Threshold, @Drifted, @CurrentCount, @CurrentMissing)
                    """,
                    run.Features.Select(f => new
                    {
                        RunId = id.Value,
                        f.Feature,
                        IsPrediction = f.IsPrediction ? 1 : 0,
                        Kind = KindText(f.Kind),
                        f.Method,
                        f.Score,
                        f.Threshold,
                        Drifted = f.Drifted ? 1 : 0,
                        f.CurrentCount,
                        f.CurrentMissing,
                    }).ToList(),
                    tx, token)).ConfigureAwait(false);
                var stored = run with { Id = id.Value };
                await RecordDriftAlertAsync(c, tx, stored, userId, token).ConfigureAwait(false);
                return stored;
            },
            ct);
    }

    /// <summary>
    /// Compares the run's drift share with the deployment's threshold; a crossing flips the alerting flag with a
    /// conditional update (so two replicas cannot both record it) and appends the event in the same transaction.
    /// </summary>
    private static async Task RecordDriftAlertAsync(DbConnection c, DbTransaction tx, DriftRun run, string? userId, CancellationToken ct)
    {
        var threshold = await c.ExecuteScalarAsync<double?>(Cmd(
            "SELECT drift_share FROM alert_thresholds WHERE deployment = @Deployment", new { run.Deployment }, tx, ct)).ConfigureAwait(false);
        if (threshold is not { } limit || run.FeaturesCompared == 0)
        {
            return;
        }

        var above = run.DriftShare >= limit;
        var flipped = await c.ExecuteAsync(Cmd(
            "UPDATE alert_thresholds SET drift_alerting = @now WHERE deployment = @Deployment AND drift_alerting = @before",
            new { run.Deployment, now = above ? 1 : 0, before = above ? 0 : 1 }, tx, ct)).ConfigureAwait(false);
        if (flipped == 0)
        {
            return;
        }

        var details = System.Text.Json.JsonSerializer.Serialize(new
        {
            deployment = run.Deployment,
            model_name = run.ModelName,
            version = run.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            drift_run_id = run.Id,
            drift_share = run.DriftShare,
            threshold = limit,
            window_start_ms = run.WindowStartMs,
            window_end_ms = run.WindowEndMs,
            drifted_features = run.Features.Where(f => f.Drifted).Select(f => f.Feature).ToList(),
        });
        await AppendEventAsync(
            c, tx, run.Deployment, "drift_share", run.ComputedAtMs, userId,
            above ? MonitoringEventTypes.DriftShareExceeded : MonitoringEventTypes.DriftShareRecovered, run.ModelName, run.Version, details, ct).ConfigureAwait(false);
    }

    /// <summary>Appends a registry event and indexes it under its deployment; returns its id.</summary>
    private static async Task<long> AppendEventAsync(
        DbConnection c, DbTransaction tx, string deployment, string signal, long now, string? userId, string type, string modelName, long? version, string details, CancellationToken ct)
    {
        var id = await c.ExecuteScalarAsync<long>(Cmd(
            """
            INSERT INTO registry_events (event_time, user_id, event_type, model_name, version, before_json, after_json)
            VALUES (@now, @userId, @type, @modelName, @version, NULL, @details)
            RETURNING id
            """,
            new { now, userId, type, modelName, version, details },
            tx, ct)).ConfigureAwait(false);
        await c.ExecuteAsync(Cmd(
            "INSERT INTO alert_events (event_id, deployment, signal) VALUES (@id, @deployment, @signal)",
            new { id, deployment, signal }, tx, ct)).ConfigureAwait(false);
        return id;
    }

    public Task<IReadOnlyList<DriftRun>> ListDriftRunsAsync(DriftRunQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new List<string>();
        if (query.Deployment is not null)
        {
            where.Add("deployment = @Deployment");
        }

        if (query.ModelName is not null)
        {
            where.Add("model_name = @ModelName");
        }

        if (query.Version is not null)
        {
            where.Add("version = @Version");
        }

        if (query.FromMs is not null)
        {
            where.Add("window_end_ms >= @FromMs");
        }

        if (query.ToMs is not null)
        {
            where.Add("window_end_ms <= @ToMs");
        }

        var sql = $"SELECT {RunColumns} FROM drift_runs{(where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where))} ORDER BY window_end_ms DESC, run_id DESC LIMIT @MaxResults";
        return database.ReadAsync<IReadOnlyList<DriftRun>>(
            async (c, token) =>
            {
                var runs = (await c.QueryAsync<RunRow>(Cmd(sql, query, null, token)).ConfigureAwait(false)).ToList();
                if (runs.Count == 0)
                {
                    return [];
                }

                var features = (await c.QueryAsync<FeatureRow>(Cmd(
                    """
                    SELECT run_id AS RunId, feature AS Feature, is_prediction AS IsPrediction, kind AS Kind, method AS Method, score AS Score,
                           threshold AS Threshold, drifted AS Drifted, current_count AS CurrentCount, current_missing AS CurrentMissing
                    FROM drift_features WHERE run_id IN @ids ORDER BY run_id, is_prediction, feature
                    """,
                    new { ids = runs.Select(r => r.Id).ToArray() }, null, token)).ConfigureAwait(false))
                    .ToLookup(f => f.RunId);
                return runs.Select(r => r.ToRun(features[r.Id].Select(f => f.ToFeature()).ToList())).ToList();
            },
            ct);
    }

    public Task<AlertThresholds> SetAlertThresholdsAsync(AlertThresholds thresholds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        return database.WriteAsync(
            async (c, tx, token) =>
            {
                await c.ExecuteAsync(Cmd(
                    """
                    INSERT INTO alert_thresholds (deployment, error_rate, latency_p99_ms, drift_share, updated_at, updated_by, drift_alerting, window_minutes, min_requests)
                    VALUES (@Deployment, @ErrorRate, @LatencyP99Ms, @DriftShare, @UpdatedAtMs, @UpdatedBy, 0, @WindowMinutes, @MinRequests)
                    ON CONFLICT (deployment) DO UPDATE SET error_rate = excluded.error_rate, latency_p99_ms = excluded.latency_p99_ms,
                        drift_share = excluded.drift_share, updated_at = excluded.updated_at, updated_by = excluded.updated_by,
                        window_minutes = excluded.window_minutes, min_requests = excluded.min_requests
                    """,
                    thresholds, tx, token)).ConfigureAwait(false);

                // A signal no longer watched forgets its states: watching it again starts from "not alerting".
                var unwatched = new List<string>();
                if (thresholds.ErrorRate is null)
                {
                    unwatched.Add(AlertSignals.ErrorRate);
                }

                if (thresholds.LatencyP99Ms is null)
                {
                    unwatched.Add(AlertSignals.LatencyP99);
                }

                if (unwatched.Count > 0)
                {
                    await c.ExecuteAsync(Cmd(
                        "DELETE FROM alert_states WHERE deployment = @Deployment AND signal IN @unwatched",
                        new { thresholds.Deployment, unwatched }, tx, token)).ConfigureAwait(false);
                }

                var row = await c.QuerySingleAsync<ThresholdRow>(Cmd(
                    $"SELECT {ThresholdColumns} FROM alert_thresholds WHERE deployment = @Deployment", new { thresholds.Deployment }, tx, token)).ConfigureAwait(false);
                return row.ToThresholds();
            },
            ct);
    }

    public Task<AlertThresholds?> GetAlertThresholdsAsync(string deployment, CancellationToken ct) =>
        database.ReadAsync<AlertThresholds?>(
            async (c, token) => (await c.QuerySingleOrDefaultAsync<ThresholdRow>(Cmd(
                $"SELECT {ThresholdColumns} FROM alert_thresholds WHERE deployment = @deployment", new { deployment }, null, token)).ConfigureAwait(false))?.ToThresholds(),
            ct);

    public Task<long> GetCursorAsync(string name, CancellationToken ct) =>
        database.ReadAsync(
            async (c, token) => await c.ExecuteScalarAsync<long?>(Cmd(
                "SELECT position FROM monitoring_cursors WHERE name = @name", new { name }, null, token)).ConfigureAwait(false) ?? 0,
            ct);

    public Task SetCursorAsync(string name, long position, CancellationToken ct) =>
        database.WriteAsync(
            (c, tx, token) => c.ExecuteAsync(Cmd(
                """
                INSERT INTO monitoring_cursors (name, position) VALUES (@name, @position)
                ON CONFLICT (name) DO UPDATE SET position = excluded.position WHERE monitoring_cursors.position < excluded.position
                """,
                new { name, position }, tx, token)),
            ct);

    private static string KindText(FeatureKind kind) => kind == FeatureKind.Numeric ? "numeric" : "categorical";

    private static CommandDefinition Cmd(string sql, object? parameters, DbTransaction? tx, CancellationToken ct) =>
        new(sql, parameters, tx, cancellationToken: ct);

    // Dapper maps columns by name onto these mutable shapes.
    private sealed class ProfileRow
    {
        public string ModelName { get; set; } = "";

        public long Version { get; set; }

        public long CreatedAt { get; set; }

        public string ProfileJson { get; set; } = "";
    }

    private sealed class RunRow
    {
        public long Id { get; set; }

        public string Deployment { get; set; } = "";

        public string ModelName { get; set; } = "";

        public long Version { get; set; }

        public long WindowStartMs { get; set; }

        public long WindowEndMs { get; set; }

        public long ComputedAtMs { get; set; }

        public string TriggerKind { get; set; } = "";

        public string Method { get; set; } = "";

        public long ReferenceRows { get; set; }

        public long CurrentRows { get; set; }

        public long FeaturesCompared { get; set; }

        public long FeaturesDrifted { get; set; }

        public double DriftShare { get; set; }

        public DriftRun ToRun(IReadOnlyList<FeatureDrift> features) => new()
        {
            Id = Id,
            Deployment = Deployment,
            ModelName = ModelName,
            Version = Version,
            WindowStartMs = WindowStartMs,
            WindowEndMs = WindowEndMs,
            ComputedAtMs = ComputedAtMs,
            Trigger = TriggerKind,
            Method = Method,
            ReferenceRows = ReferenceRows,
            CurrentRows = CurrentRows,
            FeaturesCompared = (int)FeaturesCompared,
            FeaturesDrifted = (int)FeaturesDrifted,
            DriftShare = DriftShare,
            Features = features,
        };
    }

    private sealed class FeatureRow
    {
        public long RunId { get; set; }

        public string Feature { get; set; } = "";

        public long IsPrediction { get; set; }

        public string Kind { get; set; } = "";

        public string Method { get; set; } = "";

        public double Score { get; set; }

        public double Threshold { get; set; }

        public long Drifted { get; set; }

        public long CurrentCount { get; set; }

        public long CurrentMissing { get; set; }

        public FeatureDrift ToFeature() => new(
            Feature, IsPrediction != 0, Kind == "numeric" ? FeatureKind.Numeric : FeatureKind.Categorical, Method, Score, Threshold, Drifted != 0, CurrentCount, CurrentMissing);
    }

    private sealed class ThresholdRow
    {
        public string Deployment { get; set; } = "";

        public double? ErrorRate { get; set; }

        public double? LatencyP99Ms { get; set; }

        public double? DriftShare { get; set; }

        public long UpdatedAt { get; set; }

        public string? UpdatedBy { get; set; }

        public long DriftAlerting { get; set; }

        public long WindowMinutes { get; set; }

        public long MinRequests { get; set; }

        public AlertThresholds ToThresholds() =>
            new(Deployment, ErrorRate, LatencyP99Ms, DriftShare, UpdatedAt, UpdatedBy)
            {
                DriftAlerting = DriftAlerting != 0,
                WindowMinutes = (int)WindowMinutes,
                MinRequests = MinRequests,
            };
    }
}
