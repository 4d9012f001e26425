using Strata.Core.Models;

namespace Strata.Models;

/// <summary>
/// A code model in column-frame form: it gets the request's columns (or tensors) as they were parsed and returns named
/// output columns. Implement this when the model works on whole columns; <see cref="IStrataModel{TInput, TOutput}"/> when
/// it works on typed rows. The class needs a public parameterless constructor. A model that is also
/// <see cref="IDisposable"/> or <see cref="IAsyncDisposable"/> is disposed when its version is unloaded.
/// </summary>
public interface IStrataModel
{
    /// <summary>Called once before the first prediction: read lookup files, load the models carried as artifacts.</summary>
    ValueTask LoadAsync(ModelContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Scores every row of <paramref name="input"/> (a batch of requests is one input with more rows). Called from many
    /// threads at once. Throw <see cref="ModelInputException"/> for input the model refuses; the caller gets a 400 with
    /// the message.
    /// </summary>
    ValueTask<ModelOutput> PredictAsync(ModelInput input, IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken);
}

/// <summary>
/// A code model over typed rows. The public properties of <typeparamref name="TInput"/> are the input columns of the
/// logged signature and those of <typeparamref name="TOutput"/> its output columns (renamed with
/// <see cref="ModelColumnAttribute"/>). Property types: float, double, int, long, bool, string, byte[], DateTime.
/// </summary>
public interface IStrataModel<TInput, TOutput>
    where TInput : new()
{
    /// <summary>Called once before the first prediction.</summary>
    ValueTask LoadAsync(ModelContext context, CancellationToken cancellationToken);

    /// <summary>Scores the rows, returning one output per input row in the same order. Called from many threads at once.</summary>
    ValueTask<IReadOnlyList<TOutput>> PredictAsync(IReadOnlyList<TInput> rows, IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken);
}

/// <summary>Input a code model refuses (out of range, inconsistent): answered as 400 INVALID_PARAMETER_VALUE with the message.</summary>
public sealed class ModelInputException(string message) : Exception(message);

/// <summary>The column name of a property of a typed model's input or output (default: the property name).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ModelColumnAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}
