using System.Net;
using System.Text.RegularExpressions;

namespace Strata.Server.Tests.Ui;

/// <summary>
/// A browser as the UI sees one: it keeps cookies, asks for HTML, and does not follow redirects (the tests look at
/// them), posting forms with the antiforgery token and Blazor's <c>_handler</c> field taken from the page.
/// </summary>
public sealed partial class UiBrowser : IDisposable
{
    private readonly HttpClient _http;

    public UiBrowser(Uri baseAddress)
    {
        Handler = new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false, UseCookies = true };
        _http = new HttpClient(Handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        _http.DefaultRequestHeaders.Accept.ParseAdd("text/html,application/xhtml+xml");
    }

    public CookieContainer Cookies { get; } = new();

    public HttpClientHandler Handler { get; }

    public HttpClient Http => _http;

    public async Task<Page> GetAsync(string pathAndQuery)
    {
        using var response = await _http.GetAsync(pathAndQuery);
        return await Page.ReadAsync(response);
    }

    /// <summary>Opens <paramref name="pagePath"/>, then posts its form <paramref name="formName"/> with these fields.</summary>
    public async Task<Page> SubmitAsync(string pagePath, string formName, IEnumerable<KeyValuePair<string, string>> fields, bool withToken = true)
    {
        var page = await GetAsync(pagePath);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        var all = new List<KeyValuePair<string, string>>(fields) { new("_handler", formName) };
        if (withToken)
        {
            all.Add(new("__RequestVerificationToken", page.AntiforgeryToken ?? throw new InvalidOperationException("no antiforgery token on " + pagePath)));
        }

        using var content = new FormUrlEncodedContent(all);
        using var response = await _http.PostAsync(pagePath, content);
        return await Page.ReadAsync(response);
    }

    public Task<Page> SignInAsync(string username, string password, string returnUrl = "/experiments") =>
        SubmitAsync($"/signin?returnUrl={Uri.EscapeDataString(returnUrl)}", "signin", [new("Username", username), new("Password", password)]);

    public void Dispose()
    {
        _http.Dispose();
        Handler.Dispose();
    }

    public sealed partial record Page(HttpStatusCode Status, Uri? Location, string Html, IReadOnlyList<string> SetCookies)
    {
        public string? AntiforgeryToken => TokenPattern().Match(Html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;

        public static async Task<Page> ReadAsync(HttpResponseMessage response) =>
            new(response.StatusCode, response.Headers.Location, await response.Content.ReadAsStringAsync(),
                response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies.ToList() : []);

        [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
        private static partial Regex TokenPattern();
    }
}
