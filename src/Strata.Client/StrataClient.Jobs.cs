using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Strata.Client.Http;
using Strata.Core.Jobs;
using Strata.Core.Tracking;

namespace Strata.Client;

/// <summary>
/// Scheduled jobs (<c>/api/2.0/strata/jobs</c>): a command run on a cron schedule, on demand or on an event, each
/// execution tracked as an MLflow run with its stdout/stderr as artifacts.
/// </summary>
public sealed partial class StrataClient
{
    internal const string JobsPrefix = "api/2.0/strata/jobs";

    /// <summary>Creates a job; <see cref="JobChanges.Name"/> and <see cref="JobChanges.Command"/> are required.</summary>
    public async Task<Job> CreateJobAsync(JobChanges job, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var doc = await SendJobsAsync(HttpMethod.Post, "", null, JobBody(job), idempotent: false, ct).ConfigureAwait(false);
        return JobJson.ReadJob(doc.RootElement.GetProperty("job"));
    }

    public async Task<Job> GetJobAsync(string name, CancellationToken ct = default)
    {
        using var doc = await SendJobsAsync(HttpMethod.Get, "/" + Uri.EscapeDataString(name), null, null, idempotent: true, ct).ConfigureAwait(false);
        return JobJson.ReadJob(doc.RootElement.GetProperty("job"));
    }

    public async Task<Page<Job>> ListJobsPageAsync(int? maxResults = null, string? pageToken = null, CancellationToken ct = default)
    {
        var query = new Query().Add("max_results", maxResults?.ToString(CultureInfo.InvariantCulture)).Add("page_token", pageToken);
        using var doc = await SendJobsAsync(HttpMethod.Get, "", query, null, idempotent: true, ct).ConfigureAwait(false);
        return ReadPage(doc.RootElement, "jobs", JobJson.ReadJob);
    }

    public IAsyncEnumerable<Job> ListJobsAsync(CancellationToken ct = default) =>
        Paginate<Job>((token, c) => ListJobsPageAsync(null, token, c), ct);

    /// <summary>Changes the fields given (null keeps one; an empty string clears an optional one such as the schedule).</summary>
    public async Task<Job> UpdateJobAsync(string name, JobChanges changes, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        using var doc = await SendJobsAsync(HttpMethod.Patch, "/" + Uri.EscapeDataString(name), null, JobBody(changes), idempotent: true, ct).ConfigureAwait(false);
        return JobJson.ReadJob(doc.RootElement.GetProperty("job"));
    }

    /// <summary>Deletes the job: queued executions are cancelled, running ones killed; past executions and runs stay.</summary>
    public async Task DeleteJobAsync(string name, CancellationToken ct = default)
    {
        using var _ = await SendJobsAsync(HttpMethod.Delete, "/" + Uri.EscapeDataString(name), null, null, idempotent: true, ct).ConfigureAwait(false);
    }

    /// <summary>Queues an execution now; it starts on a replica with a free slot within a poll interval.</summary>
    public async Task<JobExecution> RunJobAsync(string name, CancellationToken ct = default)
    {
        using var doc = await SendJobsAsync(HttpMethod.Post, "/" + Uri.EscapeDataString(name) + "/run", null, "{}"u8.ToArray(), idempotent: false, ct).ConfigureAwait(false);
        return JobJson.ReadExecution(doc.RootElement.GetProperty("execution"));
    }

    public async Task<JobExecution> GetJobExecutionAsync(string executionId, CancellationToken ct = default)
    {
        using var doc = await SendJobsAsync(HttpMethod.Get, "/executions/" + Uri.EscapeDataString(executionId), null, null, idempotent: true, ct).ConfigureAwait(false);
        return JobJson.ReadExecution(doc.RootElement.GetProperty("execution"));
    }

    /// <summary>Cancels a queued execution, or asks the replica running it to kill it (within a heartbeat).</summary>
    public async Task<JobExecution> CancelJobExecutionAsync(string executionId, CancellationToken ct = default)
    {
        using var doc = await SendJobsAsync(HttpMethod.Post, "/executions/" + Uri.EscapeDataString(executionId) + "/cancel", null, "{}"u8.ToArray(), idempotent: true, ct).ConfigureAwait(false);
        return JobJson.ReadExecution(doc.RootElement.GetProperty("execution"));
    }

    /// <summary>A job's executions, newest first.</summary>
    public async Task<Page<JobExecution>> ListJobExecutionsPageAsync(string name, int? maxResults = null, string? pageToken = null, CancellationToken ct = default)
    {
        var query = new Query().Add("max_results", maxResults?.ToString(CultureInfo.InvariantCulture)).Add("page_token", pageToken);
        using var doc = await SendJobsAsync(HttpMethod.Get, "/" + Uri.EscapeDataString(name) + "/executions", query, null, idempotent: true, ct).ConfigureAwait(false);
        return ReadPage(doc.RootElement, "executions", JobJson.ReadExecution);
    }

    public IAsyncEnumerable<JobExecution> ListJobExecutionsAsync(string name, CancellationToken ct = default) =>
        Paginate<JobExecution>((token, c) => ListJobExecutionsPageAsync(name, null, token, c), ct);

    /// <summary>Copies an execution's <c>stdout</c> or <c>stderr</c> (stored when the process ends) to <paramref name="destination"/>.</summary>
    public async Task DownloadJobExecutionLogAsync(string executionId, string stream, Stream destination, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var query = new Query().Add("stream", stream);
        using var request = NewRequest(HttpMethod.Get, new Uri(_baseUri, $"{JobsPrefix}/executions/{Uri.EscapeDataString(executionId)}/logs{query}"), idempotent: true);
        using var response = await SendRawAsync(request, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        await response.Content.CopyToAsync(destination, ct).ConfigureAwait(false);
    }

    private static byte[] JobBody(JobChanges j) => Json(w =>
    {
        w.WriteStartObject();
        JobOptional(w, "name", j.Name);
        JobOptional(w, "description", j.Description);
        JobOptional(w, "command", j.Command);
        if (j.Args is not null)
        {
            w.WriteStartArray("args"u8);
            foreach (var a in j.Args)
            {
                w.WriteStringValue(a);
            }

            w.WriteEndArray();
        }

        if (j.Env is not null)
        {
            w.WriteStartObject("env"u8);
            foreach (var (k, v) in j.Env)
            {
                w.WriteString(k, v);
            }

            w.WriteEndObject();
        }

        JobOptional(w, "working_dir", j.WorkingDir);
        if (j.TimeoutSeconds is { } timeout)
        {
            w.WriteNumber("timeout_seconds"u8, timeout);
        }

        JobOptional(w, "experiment_id", j.ExperimentId);
        JobOptional(w, "schedule", j.Schedule);
        JobOptional(w, "timezone", j.TimeZone);
        if (j.EventTypes is not null)
        {
            w.WriteStartArray("event_types"u8);
            foreach (var t in j.EventTypes)
            {
                w.WriteStringValue(t);
            }

            w.WriteEndArray();
        }

        JobOptional(w, "event_model_name", j.EventModelName);
        if (j.Enabled is { } enabled)
        {
            w.WriteBoolean("enabled"u8, enabled);
        }

        JobOptional(w, "runner", j.Runner);
        if (j.Kubernetes is { } kubernetes)
        {
            w.WritePropertyName("kubernetes"u8);
            JobJson.WriteKubernetes(w, kubernetes);
        }

        JobOptional(w, "concurrency_policy", j.ConcurrencyPolicy);
        if (j.MaxConcurrent is { } max)
        {
            w.WriteNumber("max_concurrent"u8, max);
        }

        w.WriteEndObject();
    });

    private static void JobOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private async Task<JsonDocument> SendJobsAsync(HttpMethod method, string path, Query? query, byte[]? body, bool idempotent, CancellationToken ct)
    {
        using var request = NewRequest(method, new Uri(_baseUri, JobsPrefix + path + (query?.ToString() ?? "")), idempotent);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        return JsonDocument.Parse(bytes.Length == 0 ? "{}"u8.ToArray() : bytes);
    }
}
