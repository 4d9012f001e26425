using System.Globalization;
using System.Text.Json;
using Strata.Client.Prompts;
using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Client;

public sealed partial class StrataClient
{
    /// <summary>
    /// Registers a new version of a prompt, creating the prompt on its first version, as MLflow 3's
    /// <c>register_prompt</c> does over the registry API: the prompt is a registered model tagged
    /// <c>mlflow.prompt.is_prompt = true</c>, the version keeps <paramref name="template"/> byte for byte.
    /// <paramref name="tags"/> go on the prompt and on the version. A model (not a prompt) of that name is an error.
    /// </summary>
    public Task<PromptVersion> RegisterPromptAsync(
        string name, string template, string? commitMessage = null, IReadOnlyDictionary<string, string>? tags = null, CancellationToken ct = default) =>
        RegisterPromptCoreAsync(name, template, "text", commitMessage, tags, ct);

    /// <summary>Registers a chat prompt version: the messages are kept as MLflow keeps them (a JSON list of role/content).</summary>
    public Task<PromptVersion> RegisterChatPromptAsync(
        string name, IReadOnlyList<PromptMessage> messages, string? commitMessage = null, IReadOnlyDictionary<string, string>? tags = null, CancellationToken ct = default) =>
        RegisterPromptCoreAsync(
            name,
            JsonSerializer.Serialize(messages.Select(m => new Dictionary<string, string> { ["role"] = m.Role, ["content"] = m.Content })),
            "chat", commitMessage, tags, ct);

    private async Task<PromptVersion> RegisterPromptCoreAsync(
        string name, string template, string type, string? commitMessage, IReadOnlyDictionary<string, string>? tags, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(template);
        tags ??= new Dictionary<string, string>();
        var created = false;
        try
        {
            var existing = await GetRegisteredModelAsync(name, ct).ConfigureAwait(false);
            if (!existing.Tags.Any(t => t.Key == PromptVersion.IsPromptTag && string.Equals(t.Value, "true", StringComparison.OrdinalIgnoreCase)))
            {
                throw new StrataApiException(ErrorCode.INVALID_PARAMETER_VALUE, System.Net.HttpStatusCode.BadRequest,
                    $"Model '{name}' exists with the same name. A prompt cannot have the name of an existing model.");
            }

            foreach (var (key, value) in tags)
            {
                await SetRegisteredModelTagAsync(name, key, value, ct).ConfigureAwait(false);
            }
        }
        catch (StrataApiException e) when (e.ErrorCode == ErrorCode.RESOURCE_DOES_NOT_EXIST)
        {
            await CreateRegisteredModelAsync(
                name, commitMessage, [new KeyValue(PromptVersion.IsPromptTag, "true"), .. tags.Select(t => new KeyValue(t.Key, t.Value))], ct).ConfigureAwait(false);
            created = true;
        }

        var versionTags = tags.Where(t => t.Key is not (PromptVersion.IsPromptTag or PromptVersion.TextTag or PromptVersion.TypeTag))
            .Select(t => new KeyValue(t.Key, t.Value))
            .Concat([new KeyValue(PromptVersion.IsPromptTag, "true"), new KeyValue(PromptVersion.TypeTag, type), new KeyValue(PromptVersion.TextTag, template)]);
        try
        {
            var version = await CreateModelVersionAsync(name, "dummy-source", tags: versionTags.ToList(), description: commitMessage, ct: ct).ConfigureAwait(false);
            return PromptVersion.FromModelVersion(version) ?? throw MissingField("model_version.tags[mlflow.prompt.text]");
        }
        catch when (created)
        {
            // A prompt without its first version is not left behind (as MLflow does).
            await DeleteRegisteredModelAsync(name, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Loads a prompt version: <c>prompts:/name/3</c>, <c>prompts:/name@alias</c> (<c>@latest</c> is the newest
    /// version), or a bare name with <paramref name="version"/>, as MLflow's <c>load_prompt</c> takes them.
    /// </summary>
    public async Task<PromptVersion> LoadPromptAsync(string nameOrUri, long? version = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrUri);
        Core.Registry.ModelVersion found;
        if (nameOrUri.StartsWith("prompts:/", StringComparison.Ordinal))
        {
            if (version is not null)
            {
                throw new ArgumentException("Pass a version either in the prompt URI or as 'version', not both.", nameof(version));
            }

            var (name, number, alias) = ParsePromptUri(nameOrUri);
            found = alias is null
                ? await GetModelVersionAsync(name, number!.Value, ct).ConfigureAwait(false)
                : await GetModelVersionByAliasAsync(name, alias, ct).ConfigureAwait(false);
        }
        else
        {
            found = await GetModelVersionAsync(
                nameOrUri, version ?? throw new ArgumentException("Pass a version when loading a prompt by name, or use a prompt URI such as 'prompts:/name/1'.", nameof(version)),
                ct).ConfigureAwait(false);
        }

        return PromptVersion.FromModelVersion(found)
               ?? throw new StrataApiException(ErrorCode.RESOURCE_DOES_NOT_EXIST, System.Net.HttpStatusCode.NotFound,
                   $"'{found.Name}' version {found.Version} is a model version, not a prompt.");
    }

    /// <summary>Points <paramref name="alias"/> of a prompt at one of its versions.</summary>
    public Task SetPromptAliasAsync(string name, string alias, long version, CancellationToken ct = default) =>
        SetRegisteredModelAliasAsync(name, alias, version, ct);

    public Task DeletePromptAliasAsync(string name, string alias, CancellationToken ct = default) =>
        DeleteRegisteredModelAliasAsync(name, alias, ct);

    /// <summary><c>prompts:/name/3</c> or <c>prompts:/name@alias</c>.</summary>
    internal static (string Name, long? Version, string? Alias) ParsePromptUri(string uri)
    {
        var rest = uri["prompts:/".Length..].Trim('/');
        var at = rest.LastIndexOf('@');
        if (at > 0 && !rest[..at].Contains('/', StringComparison.Ordinal) && at < rest.Length - 1)
        {
            return (rest[..at], null, rest[(at + 1)..]);
        }

        var slash = rest.LastIndexOf('/');
        if (slash > 0 && long.TryParse(rest[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var number) && !rest[..slash].Contains('/', StringComparison.Ordinal))
        {
            return (rest[..slash], number, null);
        }

        throw new ArgumentException($"Invalid prompt URI '{uri}': expected 'prompts:/<name>/<version>' or 'prompts:/<name>@<alias>'.", nameof(uri));
    }
}
