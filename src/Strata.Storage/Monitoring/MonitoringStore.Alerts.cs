using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Strata.Core.Monitoring;
using Strata.Core.Registry;
using Strata.Core.Tracking;
using Strata.Storage.Registry;

namespace Strata.Storage.Monitoring;

/// <summary>Error-rate and latency alerts: their states per served version and the events of every monitoring alert.</summary>
public sealed partial class MonitoringStore
{
    private const string StateColumns =
        "deployment AS Deployment, signal AS Signal, model_name AS ModelName, model_version AS ModelVersion, alerting AS Alerting, value AS Value, " +
        "threshold AS Threshold, requests AS Requests, changed_at AS ChangedAt, evaluated_at AS EvaluatedAt";

    public Task<IReadOnlyList<AlertThresholds>> ListServiceAlertThresholdsAsync(CancellationToken ct) =>
        database.ReadAsync<IReadOnlyList<AlertThresholds>>(
            async (c, token) => (await c.QueryAsync<ThresholdRow>(Cmd(
                $"SELECT {ThresholdColumns} FROM alert_thresholds WHERE error_rate IS NOT NULL OR latency_p99_ms IS NOT NULL ORDER BY deployment",
                null, null, token)).ConfigureAwait(false)).Select(r => r.ToThresholds()).ToList(),
            ct);

    public Task<IReadOnlyList<AlertState>> ListAlertStatesAsync(string deployment, CancellationToken ct) =>
        database.ReadAsync<IReadOnlyList<AlertState>>(
            async (c, token) => (await c.QueryAsync<StateRow>(Cmd(
                $"SELECT {StateColumns} FROM alert_states WHERE deployment = @deployment ORDER BY signal, model_name, model_version",
                new { deployment }, null, token)).ConfigureAwait(false)).Select(r => r.ToState()).ToList(),
            ct);

    public Task<IReadOnlyList<AlertCrossing>> RecordServiceAlertsAsync(
        string deployment, AlertWindow window, IReadOnlyList<AlertObservation> observations, long nowMs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(observations);
        if (observations.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<AlertCrossing>>([]);
        }

        return database.WriteAsync<IReadOnlyList<AlertCrossing>>(
            async (c, tx, token) =>
            {
                var crossings = new List<AlertCrossing>();
                foreach (var o in observations)
                {
                    var p = new
                    {
                        deployment,
                        o.Signal,
                        o.ModelName,
                        o.ModelVersion,
                        o.Value,
                        o.Threshold,
                        o.Requests,
                        now = nowMs,
                    };
                    if (await FlipAsync(c, tx, p, o.Above, token).ConfigureAwait(false))
                    {
                        var type = AlertSignals.EventType(o.Signal, o.Above);
                        var id = await AppendEventAsync(
                            c, tx, deployment, o.Signal, nowMs, null, type, o.ModelName, RegistryVersion(o.ModelVersion), Payload(deployment, window, o), token).ConfigureAwait(false);
                        crossings.Add(new AlertCrossing(id, type, o));
                    }
                }

                return crossings;
            },
            ct);
    }

    /// <summary>
    /// Moves the state to <paramref name="above"/> only if it is not there yet (a missing row counts as not alerting);
    /// true when this call made the change. Otherwise only the value and evaluation time are refreshed.
    /// </summary>
    private static async Task<bool> FlipAsync(DbConnection c, DbTransaction tx, object p, bool above, CancellationToken ct)
    {
        const string Insert =
            """
            INSERT INTO alert_states (deployment, signal, model_name, model_version, alerting, value, threshold, requests, changed_at, evaluated_at)
            VALUES (@deployment, @Signal, @ModelName, @ModelVersion, {0}, @Value, @Threshold, @Requests, @now, @now)
            ON CONFLICT (deployment, signal, model_name, model_version) DO UPDATE SET
            """;
        int flipped;
        if (above)
        {
            flipped = await c.ExecuteAsync(Cmd(
                string.Format(CultureInfo.InvariantCulture, Insert, 1) +
                " alerting = 1, value = excluded.value, threshold = excluded.threshold, requests = excluded.requests, changed_at = excluded.changed_at, evaluated_at = excluded.evaluated_at" +
                " WHERE alert_states.alerting = 0",
                p, tx, ct)).ConfigureAwait(false);
        }
        else
        {
            flipped = await c.ExecuteAsync(Cmd(
                """
                UPDATE alert_states SET alerting = 0, value = @Value, threshold = @Threshold, requests = @Requests, changed_at = @now, evaluated_at = @now
                WHERE deployment = @deployment AND signal = @Signal AND model_name = @ModelName AND model_version = @ModelVersion AND alerting = 1
                """,
                p, tx, ct)).ConfigureAwait(false);
        }

        if (flipped > 0)
        {
            return true;
        }

        // No crossing: the state keeps its alerting flag and change time, with the latest value.
        await c.ExecuteAsync(Cmd(
            string.Format(CultureInfo.InvariantCulture, Insert, 0) +
            " value = excluded.value, threshold = excluded.threshold, requests = excluded.requests, evaluated_at = excluded.evaluated_at",
            p, tx, ct)).ConfigureAwait(false);
        return false;
    }

    private static string Payload(string deployment, AlertWindow window, AlertObservation o)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("deployment", deployment);
            w.WriteString("model_name", o.ModelName);
            w.WriteString("version", o.ModelVersion);
            w.WriteNumber(AlertSignals.ValueField(o.Signal), o.Value);
            w.WriteNumber("threshold", o.Threshold);
            w.WriteNumber("window_start_ms", window.StartMs);
            w.WriteNumber("window_end_ms", window.EndMs);
            w.WriteNumber("window_minutes", window.Minutes);
            w.WriteNumber("requests", o.Requests);
            w.WriteNumber("errors", o.Errors);
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The event's version column is numeric; a version that is not a number stays in the payload only.</summary>
    private static long? RegistryVersion(string version) =>
        long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    public Task<Page<RegistryEvent>> ListAlertEventsAsync(string deployment, int maxResults, string? pageToken, CancellationToken ct)
    {
        var offset = OffsetPageToken.Decode(pageToken);
        return database.ReadAsync(
            async (c, token) =>
            {
                var rows = (await c.QueryAsync<EventRow>(Cmd(
                    """
                    SELECT e.id AS Id, e.event_time AS EventTime, e.user_id AS UserId, e.event_type AS EventType, e.model_name AS ModelName,
                           e.version AS Version, e.after_json AS AfterJson
                    FROM alert_events a JOIN registry_events e ON e.id = a.event_id
                    WHERE a.deployment = @deployment ORDER BY a.event_id DESC LIMIT @limit OFFSET @offset
                    """,
                    new { deployment, limit = maxResults + 1L, offset }, null, token)).ConfigureAwait(false)).ToList();
                var more = rows.Count > maxResults;
                var page = more ? rows.GetRange(0, maxResults) : rows;
                return new Page<RegistryEvent>(
                    page.Select(r => new RegistryEvent(r.Id, r.EventTime, r.UserId, r.EventType, r.ModelName, r.Version, null, r.AfterJson)).ToList(),
                    more ? OffsetPageToken.Encode(offset + maxResults) : null);
            },
            ct);
    }

    private sealed class StateRow
    {
        public string Deployment { get; set; } = "";

        public string Signal { get; set; } = "";

        public string ModelName { get; set; } = "";

        public string ModelVersion { get; set; } = "";

        public long Alerting { get; set; }

        public double Value { get; set; }

        public double Threshold { get; set; }

        public long Requests { get; set; }

        public long ChangedAt { get; set; }

        public long EvaluatedAt { get; set; }

        public AlertState ToState() => new(Deployment, Signal, ModelName, ModelVersion, Alerting != 0, Value, Threshold, Requests, ChangedAt, EvaluatedAt);
    }

    private sealed class EventRow
    {
        public long Id { get; set; }

        public long EventTime { get; set; }

        public string? UserId { get; set; }

        public string EventType { get; set; } = "";

        public string ModelName { get; set; } = "";

        public long? Version { get; set; }

        public string? AfterJson { get; set; }
    }
}
