using System.Net.Http.Json;
using System.Text.Json;

namespace Strata.Bench.Registry;

/// <summary>A running Strata (or MLflow) server, driven through the MLflow REST API.</summary>
internal sealed class HttpTarget(Uri baseUri) : IRegistryTarget
{
    private readonly HttpClient _http = new() { BaseAddress = baseUri };

    public string Description => $"HTTP server at {baseUri}";

    public Task CreateModelAsync(string name) => PostAsync("registered-models/create", new { name });

    public Task CreateVersionAsync(string name, string source, string runId) =>
        PostAsync("model-versions/create", new { name, source, run_id = runId });

    public Task SetAliasAsync(string name, string alias, long version) =>
        PostAsync("registered-models/alias", new { name, alias, version = version.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    public async Task<int> SearchVersionsAsync(string? filter, int maxResults)
    {
        var query = $"api/2.0/mlflow/model-versions/search?max_results={maxResults}" + (filter is null ? "" : "&filter=" + Uri.EscapeDataString(filter));
        using var doc = JsonDocument.Parse(await _http.GetStringAsync(query));
        return doc.RootElement.TryGetProperty("model_versions", out var versions) ? versions.GetArrayLength() : 0;
    }

    public async Task<long> GetByAliasAsync(string name, string alias)
    {
        using var doc = JsonDocument.Parse(await _http.GetStringAsync(
            $"api/2.0/mlflow/registered-models/alias?name={Uri.EscapeDataString(name)}&alias={Uri.EscapeDataString(alias)}"));
        return long.Parse(doc.RootElement.GetProperty("model_version").GetProperty("version").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task PostAsync(string path, object body)
    {
        using var response = await _http.PostAsJsonAsync("api/2.0/mlflow/" + path, body);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}
