using Strata.Core.Models;

namespace Strata.Serving.Protocols;

/// <summary>How the body of an <c>/invocations</c> request was laid out; it decides the shape of the response.</summary>
public enum InvocationFormat
{
    DataframeSplit,
    DataframeRecords,
    Instances,
    Inputs,
    Csv,
}

/// <summary>A parsed <c>/invocations</c> request: the model input (already checked against the signature) and its params.</summary>
public sealed record InvocationRequest(InvocationFormat Format, ModelInput Input, IReadOnlyDictionary<string, object?>? Params)
{
    /// <summary>Table-shaped requests get table-shaped answers (records or a flat list); tensor requests get tensors.</summary>
    public bool IsTable => Format is not InvocationFormat.Inputs;
}
