namespace Strata.Server.Security;

/// <summary>
/// Endpoint metadata: the endpoint carries data (model inputs, span exports), so its body may be as large as
/// <see cref="SecurityOptions.MaxLargeRequestBodyBytes"/> instead of the JSON APIs' <see cref="SecurityOptions.MaxRequestBodyBytes"/>.
/// </summary>
public sealed class LargeRequestBody
{
    public static LargeRequestBody Instance { get; } = new();

    private LargeRequestBody()
    {
    }
}
