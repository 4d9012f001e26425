using Strata.Client.Prompts;
using Strata.Core.Errors;

namespace Strata.Client.Tests.Integration;

/// <summary>The SDK's prompt registry calls and trace reads (search, get with spans) against a real in-process server.</summary>
public sealed class PromptAndTraceReadTests : IAsyncLifetime
{
    private StrataTestServer _server = null!;
    private StrataClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await StrataTestServer.StartAsync();
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Register_and_load_by_version_alias_and_uri_keeping_the_template_byte_for_byte()
    {
        var name = Unique("qa");
        // Braces, backslashes, unicode and a dotted variable: all kept as written.
        const string v1 = "Answer {{ question }} briefly.\n\\n {literal} {{user.name}} — café";
        var first = await _client.RegisterPromptAsync(name, v1, commitMessage: "first", tags: new Dictionary<string, string> { ["team"] = "search" });
        Assert.Equal(1, first.Version);
        Assert.Equal(v1, first.Template);
        Assert.Equal("first", first.CommitMessage);
        Assert.Equal(["question", "user.name"], first.Variables);
        var second = await _client.RegisterPromptAsync(name, "Say {{ x }}");
        Assert.Equal(2, second.Version);

        await _client.SetPromptAliasAsync(name, "production", 1);
        Assert.Equal(v1, (await _client.LoadPromptAsync($"prompts:/{name}@production")).Template);
        Assert.Equal(v1, (await _client.LoadPromptAsync($"prompts:/{name}/1")).Template);
        Assert.Equal(2, (await _client.LoadPromptAsync($"prompts:/{name}@latest")).Version);
        var byName = await _client.LoadPromptAsync(name, version: 1);
        Assert.Equal(["production"], byName.Aliases);
        Assert.Equal("search", byName.Tags["team"]);

        // The registry sees a prompt (what MLflow's client checks), and model searches leave it out.
        var model = await _client.GetRegisteredModelAsync(name);
        Assert.Contains(model.Tags, t => t.Key == "mlflow.prompt.is_prompt" && t.Value == "true");

        Assert.Equal("Answer why? briefly.\n\\n {literal} Ann — café", byName.Format(("question", "why?"), ("user.name", "Ann")));
        Assert.Equal("Answer $1 {{x}} briefly.\n\\n {literal} {{user.name}} — café",
            byName.Format(new Dictionary<string, object?> { ["question"] = "$1 {{x}}" }, allowPartial: true));
        Assert.Throws<ArgumentException>(() => byName.Format(("question", "why?")));

        await _client.DeletePromptAliasAsync(name, "production");
        // As MLflow's SQL registry answers a missing alias: INVALID_PARAMETER_VALUE (what load_prompt(allow_missing) checks).
        var gone = await Assert.ThrowsAsync<StrataApiException>(() => _client.LoadPromptAsync($"prompts:/{name}@production"));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, gone.ErrorCode);
        await Assert.ThrowsAsync<ArgumentException>(() => _client.LoadPromptAsync(name));
        await Assert.ThrowsAsync<ArgumentException>(() => _client.LoadPromptAsync($"prompts:/{name}/1", version: 1));
        await Assert.ThrowsAsync<ArgumentException>(() => _client.LoadPromptAsync("prompts:/"));
    }

    [Fact]
    public async Task Chat_prompts_and_name_clashes_with_models()
    {
        var name = Unique("chat");
        var chat = await _client.RegisterChatPromptAsync(name, [new PromptMessage("system", "You are {{ style }}."), new PromptMessage("user", "{{question}}")]);
        Assert.True(chat.IsChat);
        var loaded = await _client.LoadPromptAsync($"prompts:/{name}/1");
        Assert.Equal(
            [new PromptMessage("system", "You are terse."), new PromptMessage("user", "Why?")],
            loaded.FormatMessages(new Dictionary<string, object?> { ["style"] = "terse", ["question"] = "Why?" }));

        var modelName = Unique("model");
        await _client.CreateRegisteredModelAsync(modelName);
        var clash = await Assert.ThrowsAsync<StrataApiException>(() => _client.RegisterPromptAsync(modelName, "x"));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, clash.ErrorCode);
    }

    [Fact]
    public async Task Search_traces_pages_and_get_trace_reads_the_spans_back()
    {
        var experimentId = await _client.CreateExperimentAsync(Unique("traces"));
        var ids = new List<string>();
        await using (var tracing = _client.StartTracing(experimentId))
        {
            for (var i = 0; i < 5; i++)
            {
                using var root = tracing.StartSpan("agent-" + i, "AGENT", new { i })!;
                ids.Add(root.TraceId);
                await tracing.TraceAsync("llm", _ => Task.FromResult("answer"), "LLM", new { prompt = "p" + i });
                root.SetOutputs("done");
            }

            await tracing.FlushAsync();
            Assert.Equal(0, tracing.FailedTraces);
        }

        var pages = new List<string>();
        var page = await _client.SearchTracesPageAsync(new TraceSearch([experimentId], MaxResults: 2));
        Assert.Equal(2, page.Items.Count);
        Assert.NotNull(page.NextPageToken);
        await foreach (var info in _client.SearchTracesAsync(new TraceSearch([experimentId], MaxResults: 2)))
        {
            pages.Add(info.TraceId);
            Assert.Equal(experimentId, info.ExperimentId);
            Assert.Equal("OK", info.State);
        }

        Assert.Equal(ids.OrderBy(id => id, StringComparer.Ordinal), pages.OrderBy(id => id, StringComparer.Ordinal));
        var filtered = await _client.SearchTracesPageAsync(new TraceSearch([experimentId], "tags.`mlflow.traceName` = 'agent-3'"));
        Assert.Equal(ids[3], Assert.Single(filtered.Items).TraceId);

        var trace = await _client.GetTraceAsync(ids[3]);
        Assert.NotNull(trace);
        Assert.Equal("agent-3", trace.Info.Tags["mlflow.traceName"]);
        Assert.NotNull(trace.Info.ExecutionDuration);
        Assert.Equal(2, trace.Spans.Count);
        var root3 = Assert.Single(trace.Spans, s => s.ParentSpanId is null);
        var llm = Assert.Single(trace.Spans, s => s.Name == "llm");
        Assert.Equal("agent-3", root3.Name);
        Assert.Equal("AGENT", root3.SpanType);
        Assert.Equal(root3.SpanId, llm.ParentSpanId);
        Assert.Equal("LLM", llm.SpanType);
        Assert.Equal("p3", llm.Inputs!.Value.GetProperty("prompt").GetString());
        Assert.Equal("\"answer\"", llm.Outputs!.Value.GetRawText());
        Assert.Equal(16, root3.SpanId.Length);
        Assert.True(llm.EndTimeUnixNano >= llm.StartTimeUnixNano);

        Assert.Null(await _client.GetTraceAsync("tr-" + Guid.NewGuid().ToString("N")));
    }
}
