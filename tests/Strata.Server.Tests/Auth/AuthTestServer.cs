using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Auth;

/// <summary>A test server with <c>--auth</c> on, an admin, and HTTP clients that sign in as given users.</summary>
public sealed class AuthTestServer : IAsyncDisposable
{
    public const string AdminName = "admin";
    public const string AdminPassword = "admin-password-1";

    private readonly List<HttpClient> _clients = [];

    private AuthTestServer(StrataTestServer server)
    {
        Server = server;
        Admin = Basic(AdminName, AdminPassword);
        Anonymous = Client(null);
    }

    public StrataTestServer Server { get; }

    public Caller Admin { get; }

    public Caller Anonymous { get; }

    public static async Task<AuthTestServer> StartAsync(Action<Strata.Server.Hosting.StrataServerOptions>? configure = null)
    {
        var server = await StrataTestServer.StartAsync(o =>
        {
            o.Auth.Enabled = true;
            o.Auth.AdminUsername = AdminName;
            o.Auth.AdminPassword = AdminPassword;
            // The production work factor would make every created user cost ~0.5 s on a loaded machine; the scheme is the same.
            o.Auth.PasswordIterations = 1000;
            configure?.Invoke(o);
        });
        return new AuthTestServer(server);
    }

    public Caller Basic(string username, string password) =>
        Client(new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"))));

    public Caller Bearer(string token) => Client(new AuthenticationHeaderValue("Bearer", token));

    /// <summary>A caller sending this Authorization header verbatim (malformed ones included).</summary>
    public Caller RawAuthorization(string value)
    {
        var caller = Client(null);
        _clients[^1].DefaultRequestHeaders.TryAddWithoutValidation("Authorization", value);
        return caller;
    }

    /// <summary>Creates a (non-admin) user through MLflow's API and returns a caller signed in as it.</summary>
    public async Task<Caller> UserAsync(string username, string password = "user-password-1")
    {
        (await Admin.PostAsync("/api/2.0/mlflow/users/create", new { username, password })).Ok();
        return Basic(username, password);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients)
        {
            c.Dispose();
        }

        await Server.DisposeAsync();
    }

    private Caller Client(AuthenticationHeaderValue? authorization)
    {
        var http = new HttpClient { BaseAddress = Server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = authorization;
        _clients.Add(http);
        return new Caller(http);
    }
}

/// <summary>Requests as one caller.</summary>
public sealed class Caller(HttpClient http)
{
    public Task<ApiResponse> GetAsync(string pathAndQuery) => SendAsync(HttpMethod.Get, pathAndQuery, null);

    public Task<ApiResponse> PostAsync(string path, object body) => SendAsync(HttpMethod.Post, path, JsonSerializer.Serialize(body));

    public Task<ApiResponse> PatchAsync(string path, object body) => SendAsync(HttpMethod.Patch, path, JsonSerializer.Serialize(body));

    public Task<ApiResponse> DeleteAsync(string path, object? body = null) =>
        SendAsync(HttpMethod.Delete, path, body is null ? null : JsonSerializer.Serialize(body));

    public async Task<(System.Net.HttpStatusCode Status, HttpResponseMessage Response, string Text)> RawAsync(HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        var response = await http.SendAsync(request);
        return (response.StatusCode, response, await response.Content.ReadAsStringAsync());
    }

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, string? json)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse(response.StatusCode, response.Content.Headers.ContentType?.MediaType, text);
    }
}
