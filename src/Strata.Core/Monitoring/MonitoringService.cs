using System.Globalization;
using Strata.Core.Errors;
using Strata.Core.Registry;
using Strata.Core.Tracking;

namespace Strata.Core.Monitoring;

/// <summary>
/// Monitoring's rules: builds and stores reference profiles, computes drift over windows of logged predictions and
/// keeps the runs, and holds alert thresholds. Wire values arrive as strings and are validated here.
/// </summary>
public sealed class MonitoringService(
    IMonitoringStore store,
    IRegistryStore registry,
    IDeploymentVersions deployments,
    IPredictionWindowSource window,
    IReferenceDataSource referenceData,
    TimeProvider time)
{
    public const int DefaultDriftRunsPageSize = 100;
    public const int MaxDriftRunsPageSize = 1000;

    public IMonitoringStore Store => store;

    // ---- reference profiles ----

    /// <summary>Profiles the training data logged with the version's run (or the named dataset of it) and stores the profile.</summary>
    public async Task<StoredProfile> ComputeProfileAsync(string? name, string? version, string? datasetName, string? predictionColumn, CancellationToken ct)
    {
        var mv = await RequireVersionAsync(name, version, ct).ConfigureAwait(false);
        var table = new FeatureTable();
        var source = await referenceData.ReadAsync(mv.Name, mv.Version, datasetName, table, ct).ConfigureAwait(false);
        return await StoreProfileAsync(mv.Name, mv.Version, table, predictionColumn, source, ct).ConfigureAwait(false);
    }

    /// <summary>Profiles uploaded data (CSV or JSON) and stores the profile with the version.</summary>
    public async Task<StoredProfile> ProfileUploadAsync(string? name, string? version, ReadOnlyMemory<byte> data, bool csv, string? predictionColumn, CancellationToken ct)
    {
        var mv = await RequireVersionAsync(name, version, ct).ConfigureAwait(false);
        var table = new FeatureTable();
        try
        {
            if (csv)
            {
                CsvTableReader.Read(new StringReader(System.Text.Encoding.UTF8.GetString(data.Span)), table);
            }
            else
            {
                JsonTableReader.Read(data, table);
            }
        }
        catch (System.Text.Json.JsonException e)
        {
            throw MlflowException.InvalidParameter($"The uploaded data is not a JSON table: {e.Message}");
        }

        return await StoreProfileAsync(mv.Name, mv.Version, table, predictionColumn, "upload", ct).ConfigureAwait(false);
    }

    public async Task<StoredProfile> GetProfileAsync(string? name, string? version, CancellationToken ct)
    {
        var mv = await RequireVersionAsync(name, version, ct).ConfigureAwait(false);
        return await store.GetProfileAsync(mv.Name, mv.Version, ct).ConfigureAwait(false)
            ?? throw MlflowException.NotFound($"Model version '{mv.Name}' version {mv.Version} has no reference profile.");
    }

    private async Task<StoredProfile> StoreProfileAsync(string name, long version, FeatureTable table, string? predictionColumn, string source, CancellationToken ct)
    {
        if (table.RowCount == 0)
        {
            throw MlflowException.InvalidParameter($"The reference data of '{name}' version {version} ({source}) has no rows.");
        }

        if (string.IsNullOrEmpty(predictionColumn))
        {
            predictionColumn = table.Find(ScoringPayloadReader.PredictionColumn) is null ? null : ScoringPayloadReader.PredictionColumn;
        }
        else if (table.Find(predictionColumn) is null)
        {
            throw MlflowException.InvalidParameter(
                $"prediction_column '{predictionColumn}' is not a column of the reference data (columns: {string.Join(", ", table.Columns.Select(c => c.Name))}).");
        }

        var profile = ProfileBuilder.Build(table, predictionColumn, source);
        var now = Now();
        await store.PutProfileAsync(name, version, profile, now, ct).ConfigureAwait(false);
        return new StoredProfile(name, version, now, profile);
    }

    // ---- drift ----

    /// <summary>Drift runs of a deployment (or of one model version) whose windows end within [from, to], newest first.</summary>
    public async Task<IReadOnlyList<DriftRun>> ListDriftAsync(
        string? deployment, string? model, string? version, string? from, string? to, long? maxResults, CancellationToken ct)
    {
        long? number = null;
        if (deployment is null)
        {
            var mv = await RequireVersionAsync(model, version, ct, versionOptional: true).ConfigureAwait(false);
            number = mv.Version == 0 ? null : mv.Version;
            model = mv.Name;
        }
        else if (!string.IsNullOrEmpty(version))
        {
            number = (await deployments.ResolveAsync(deployment, model, version, ct).ConfigureAwait(false))[0].Version;
            model = null;
        }
        else
        {
            model = null;
        }

        var max = maxResults ?? DefaultDriftRunsPageSize;
        if (max is < 1 or > MaxDriftRunsPageSize)
        {
            throw MlflowException.InvalidParameter($"max_results must be between 1 and {MaxDriftRunsPageSize}, got {max}.");
        }

        var (fromMs, toMs) = (ParseTime(from, "from"), ParseTime(to, "to"));
        return await store.ListDriftRunsAsync(
            new DriftRunQuery { Deployment = deployment, ModelName = model, Version = number, FromMs = fromMs, ToMs = toMs, MaxResults = (int)max },
            ct).ConfigureAwait(false);
    }

    /// <summary>Computes drift now for the deployment's versions (or the model version when no deployment is given) and stores the runs.</summary>
    public async Task<IReadOnlyList<DriftRun>> ComputeDriftAsync(
        string? deployment, string? model, string? version, string? from, string? to, string? method, double? threshold, string? user, CancellationToken ct)
    {
        IReadOnlyList<DeploymentTarget> targets;
        if (deployment is null)
        {
            var mv = await RequireVersionAsync(model, version, ct).ConfigureAwait(false);
            targets = [new DeploymentTarget(mv.Name, mv.Name, mv.Version)];
        }
        else
        {
            targets = await deployments.ResolveAsync(deployment, model, version, ct).ConfigureAwait(false);
            if (targets.Count == 0)
            {
                throw MlflowException.InvalidParameter($"Deployment '{deployment}' has no model version with a reference profile to compare with.");
            }
        }

        var options = Options(method, threshold);
        var now = Now();
        var toMs = ParseTime(to, "to") ?? now;
        var fromMs = ParseTime(from, "from") ?? toMs - (long)TimeSpan.FromDays(1).TotalMilliseconds;
        if (fromMs > toMs)
        {
            throw MlflowException.InvalidParameter($"from ({fromMs}) is after to ({toMs}).");
        }

        var runs = new List<DriftRun>();
        foreach (var target in targets)
        {
            var run = await ComputeAsync(target, fromMs, toMs, DriftTriggers.Request, options, user, requireProfile: true, ct).ConfigureAwait(false);
            runs.Add(run!);
        }

        return runs;
    }

    /// <summary>
    /// One target's drift over [fromMs, toMs]; null when the target has no profile (and one is not required) or, for a
    /// scheduled run, when another replica already stored this window.
    /// </summary>
    public async Task<DriftRun?> ComputeAsync(
        DeploymentTarget target, long fromMs, long toMs, string trigger, DriftOptions options, string? user, bool requireProfile, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        var profile = await store.GetProfileAsync(target.ModelName, target.Version, ct).ConfigureAwait(false);
        if (profile is null)
        {
            return requireProfile
                ? throw MlflowException.InvalidParameter(
                    $"Model version '{target.ModelName}' version {target.Version} has no reference profile: compute one first (POST /api/2.0/strata/monitoring/profiles).")
                : null;
        }

        var inputs = new FeatureTable();
        var outputs = new FeatureTable();
        await window.ReadWindowAsync(target.ModelName, target.Version.ToString(CultureInfo.InvariantCulture), fromMs, toMs, inputs, outputs, ct).ConfigureAwait(false);
        var report = DriftCalculator.Compute(profile.Profile, inputs, outputs, options);
        var run = new DriftRun
        {
            Deployment = target.Deployment,
            ModelName = target.ModelName,
            Version = target.Version,
            WindowStartMs = fromMs,
            WindowEndMs = toMs,
            ComputedAtMs = Now(),
            Trigger = trigger,
            Method = options.Method,
            ReferenceRows = report.ReferenceRows,
            CurrentRows = Math.Max(inputs.RowCount, outputs.RowCount),
            FeaturesCompared = report.Features.Count,
            FeaturesDrifted = report.DriftedCount,
            DriftShare = report.DriftShare,
            Features = report.Features,
        };
        return await store.AddDriftRunAsync(run, user, ct).ConfigureAwait(false);
    }

    public static DriftOptions Options(string? method, double? threshold)
    {
        var m = string.IsNullOrEmpty(method) ? DriftMethod.Auto : method.ToLowerInvariant();
        if (!DriftMethod.All.Contains(m))
        {
            throw MlflowException.InvalidParameter($"Invalid method '{method}': expected one of {string.Join(", ", DriftMethod.All)}.");
        }

        if (threshold is { } t && (double.IsNaN(t) || t <= 0))
        {
            throw MlflowException.InvalidParameter($"threshold must be a positive number, got {t.ToString(CultureInfo.InvariantCulture)}.");
        }

        return new DriftOptions { Method = m, Threshold = threshold };
    }

    // ---- alerts ----

    /// <summary>Sets every threshold of a deployment at once; an absent one is not watched, an absent window or minimum takes its default.</summary>
    public async Task<AlertThresholds> SetAlertThresholdsAsync(
        string? deployment, double? errorRate, double? latencyP99Ms, double? driftShare, long? windowMinutes, long? minRequests, string? user, CancellationToken ct)
    {
        RequireDeployment(deployment);
        CheckShare(errorRate, "error_rate");
        CheckShare(driftShare, "drift_share");
        if (latencyP99Ms is { } l && (double.IsNaN(l) || l <= 0 || double.IsInfinity(l)))
        {
            throw MlflowException.InvalidParameter($"latency_p99_ms must be a positive number of milliseconds, got {l.ToString(CultureInfo.InvariantCulture)}.");
        }

        var window = windowMinutes ?? AlertThresholds.DefaultWindowMinutes;
        if (window is < 1 or > AlertThresholds.MaxWindowMinutes)
        {
            throw MlflowException.InvalidParameter($"window_minutes must be between 1 and {AlertThresholds.MaxWindowMinutes}, got {window}.");
        }

        var minimum = minRequests ?? 1;
        if (minimum < 1)
        {
            throw MlflowException.InvalidParameter($"min_requests must be at least 1, got {minimum}.");
        }

        return await store.SetAlertThresholdsAsync(
            new AlertThresholds(deployment!, errorRate, latencyP99Ms, driftShare, Now(), user) { WindowMinutes = (int)window, MinRequests = minimum },
            ct).ConfigureAwait(false);
    }

    public async Task<AlertThresholds> GetAlertThresholdsAsync(string? deployment, CancellationToken ct)
    {
        RequireDeployment(deployment);
        return await store.GetAlertThresholdsAsync(deployment!, ct).ConfigureAwait(false)
            ?? throw MlflowException.NotFound($"Deployment '{deployment}' has no alert thresholds.");
    }

    /// <summary>The thresholds of a deployment with the state of each watched version's error rate and latency.</summary>
    public async Task<(AlertThresholds Thresholds, IReadOnlyList<AlertState> States)> GetAlertsAsync(string? deployment, CancellationToken ct)
    {
        var thresholds = await GetAlertThresholdsAsync(deployment, ct).ConfigureAwait(false);
        return (thresholds, await store.ListAlertStatesAsync(deployment!, ct).ConfigureAwait(false));
    }

    public async Task<Page<RegistryEvent>> ListAlertEventsAsync(string? deployment, long? maxResults, string? pageToken, CancellationToken ct)
    {
        RequireDeployment(deployment);
        var max = maxResults ?? DefaultDriftRunsPageSize;
        if (max is < 1 or > MaxDriftRunsPageSize)
        {
            throw MlflowException.InvalidParameter($"max_results must be between 1 and {MaxDriftRunsPageSize}, got {max}.");
        }

        return await store.ListAlertEventsAsync(deployment!, (int)max, pageToken, ct).ConfigureAwait(false);
    }

    private static void RequireDeployment(string? deployment)
    {
        if (string.IsNullOrEmpty(deployment))
        {
            throw MlflowException.MissingParameter("deployment");
        }
    }

    private static void CheckShare(double? value, string field)
    {
        if (value is { } v && (double.IsNaN(v) || v < 0 || v > 1))
        {
            throw MlflowException.InvalidParameter($"{field} must be a share between 0 and 1, got {v.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    private async Task<(string Name, long Version)> RequireVersionAsync(string? name, string? version, CancellationToken ct, bool versionOptional = false)
    {
        RegistryValidation.RequireName(name);
        if (versionOptional && string.IsNullOrEmpty(version))
        {
            return await registry.GetRegisteredModelAsync(name!, ct).ConfigureAwait(false) is null
                ? throw MlflowException.NotFound($"Registered Model with name={name} not found")
                : (name!, 0);
        }

        RegistryValidation.Require(version, "version");
        if (long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            var found = await registry.GetModelVersionAsync(name!, number, ct).ConfigureAwait(false);
            return found is null ? throw MlflowException.NotFound($"Model Version (name={name}, version={version}) not found") : (found.Name, found.Version);
        }

        // A version that is not a number is an alias; an unknown alias is a bad parameter, as the registry answers it.
        var aliased = await registry.GetModelVersionByAliasAsync(name!, version!, ct).ConfigureAwait(false);
        return aliased is null
            ? throw MlflowException.InvalidParameter($"version '{version}' is neither a version number nor an alias of model '{name}'.")
            : (aliased.Name, aliased.Version);
    }

    private static long? ParseTime(string? value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms))
        {
            return ms;
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when)
            ? when.ToUnixTimeMilliseconds()
            : throw MlflowException.InvalidParameter($"{field} must be epoch milliseconds or an ISO 8601 time, got '{value}'.");
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
