using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Strata.Core.Registry;

namespace Strata.Client.Prompts;

/// <summary>One chat message of a chat prompt: a role and its (template) content.</summary>
public sealed record PromptMessage(string Role, string Content);

/// <summary>
/// A version of a prompt in MLflow 3's prompt registry: a registered model tagged <c>mlflow.prompt.is_prompt</c>
/// whose version keeps the template byte for byte in the tag <c>mlflow.prompt.text</c> (a JSON list of messages for
/// a chat prompt). Variables are written <c>{{ name }}</c> (dotted names allowed), as in MLflow.
/// </summary>
public sealed partial record PromptVersion(
    string Name,
    long Version,
    string Template,
    bool IsChat,
    string? CommitMessage,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<string> Aliases,
    long CreationTimestamp,
    long LastUpdatedTimestamp)
{
    public const string IsPromptTag = "mlflow.prompt.is_prompt";
    public const string TextTag = "mlflow.prompt.text";
    public const string TypeTag = "_mlflow_prompt_type";

    /// <summary>The prompt's URI for this version: <c>prompts:/name/version</c>.</summary>
    public string Uri => $"prompts:/{Name}/{Version.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The chat messages of a chat prompt (empty for a text prompt).</summary>
    public IReadOnlyList<PromptMessage> Messages => IsChat ? ParseMessages(Template) : [];

    /// <summary>The variable names the template uses, each once, in order of first use.</summary>
    public IReadOnlyList<string> Variables =>
        (IsChat ? Messages.Select(m => m.Content) : [Template])
        .SelectMany(text => VariablePattern().Matches(text).Select(m => m.Groups[1].Value))
        .Distinct(StringComparer.Ordinal)
        .ToList();

    /// <summary>
    /// The text template with every <c>{{ variable }}</c> replaced by its value (<c>string.Format</c>-free: braces
    /// and backslashes in values stay as they are). Missing variables are an error unless <paramref name="allowPartial"/>,
    /// in which case they stay in the text.
    /// </summary>
    public string Format(IReadOnlyDictionary<string, object?> values, bool allowPartial = false)
    {
        if (IsChat)
        {
            throw new InvalidOperationException($"Prompt '{Name}' version {Version} is a chat prompt: use FormatMessages.");
        }

        CheckMissing(values, allowPartial);
        return Substitute(Template, values);
    }

    /// <summary><see cref="Format(IReadOnlyDictionary{string, object?}, bool)"/> with (name, value) pairs.</summary>
    public string Format(params (string Name, object? Value)[] values) =>
        Format(values.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal));

    /// <summary>A chat prompt's messages with the variables in their contents replaced.</summary>
    public IReadOnlyList<PromptMessage> FormatMessages(IReadOnlyDictionary<string, object?> values, bool allowPartial = false)
    {
        if (!IsChat)
        {
            return [new PromptMessage("user", Format(values, allowPartial))];
        }

        CheckMissing(values, allowPartial);
        return Messages.Select(m => m with { Content = Substitute(m.Content, values) }).ToList();
    }

    private void CheckMissing(IReadOnlyDictionary<string, object?> values, bool allowPartial)
    {
        var missing = Variables.Where(v => !values.ContainsKey(v)).ToList();
        if (missing.Count > 0 && !allowPartial)
        {
            throw new ArgumentException(
                $"Missing variables for prompt '{Name}' version {Version}: {string.Join(", ", missing)}. Pass allowPartial: true to format partially.",
                nameof(values));
        }
    }

    private static string Substitute(string text, IReadOnlyDictionary<string, object?> values) =>
        VariablePattern().Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var value)
            ? Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""
            : m.Value);

    private static List<PromptMessage> ParseMessages(string template)
    {
        using var document = JsonDocument.Parse(template);
        return document.RootElement.EnumerateArray()
            .Select(m => new PromptMessage(
                m.TryGetProperty("role", out var role) ? role.GetString() ?? "" : "",
                m.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String ? content.GetString() ?? "" : ""))
            .ToList();
    }

    [GeneratedRegex(@"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z_][a-zA-Z0-9_]*)*)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex VariablePattern();

    /// <summary>A registry model version as a prompt version, or null when it is not one (no template tag).</summary>
    internal static PromptVersion? FromModelVersion(ModelVersion version)
    {
        var tags = version.Tags.GroupBy(t => t.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
        if (!tags.TryGetValue(TextTag, out var template))
        {
            return null;
        }

        var isChat = tags.TryGetValue(TypeTag, out var type) && type == "chat";
        var userTags = tags.Where(t => t.Key is not (IsPromptTag or TextTag or TypeTag) && !t.Key.StartsWith("_mlflow_prompt_", StringComparison.Ordinal))
                           .ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        return new PromptVersion(
            version.Name, version.Version, template, isChat, version.Description, userTags, version.Aliases,
            version.CreationTimestamp, version.LastUpdatedTimestamp);
    }
}
