using Strata.Core.Tracking;

namespace Strata.Core.Registry;

/// <summary>
/// MLflow 3 keeps prompts in the model registry: a registered model (and each of its versions) tagged
/// <see cref="IsPrompt"/> = <c>true</c> is a prompt, and the version's template lives in <see cref="Text"/>.
/// </summary>
public static class PromptTags
{
    public const string IsPrompt = "mlflow.prompt.is_prompt";

    public const string Text = "mlflow.prompt.text";

    /// <summary>Like MLflow's server, a request that carries the prompt tag at all is a prompt request.</summary>
    public static bool MarksPrompt(IEnumerable<KeyValue> tags) => tags.Any(t => t.Key == IsPrompt);
}
