using Strata.Core.Models;

namespace Strata.Models;

/// <summary>
/// A class that implements one of the code-model interfaces: which one, its row types, the signature they imply, and how
/// to create an instance the host can call in column-frame form.
/// </summary>
public sealed record CodeModelType
{
    /// <summary>The <c>interface</c> value of the flavor for <see cref="IStrataModel{TInput, TOutput}"/>.</summary>
    public const string TypedInterface = "typed";

    /// <summary>The <c>interface</c> value of the flavor for <see cref="IStrataModel"/>.</summary>
    public const string FrameInterface = "frame";

    private CodeModelType(Type type, Type? inputType, Type? outputType)
    {
        Type = type;
        InputType = inputType;
        OutputType = outputType;
    }

    public Type Type { get; }

    /// <summary>TInput of a typed model; null for a column-frame model.</summary>
    public Type? InputType { get; }

    public Type? OutputType { get; }

    public string Interface => InputType is null ? FrameInterface : TypedInterface;

    /// <summary>The signature the row types imply (null for a column-frame model: give one when logging it).</summary>
    public ModelSignature? InferSignature() =>
        InputType is null ? null : new ModelSignature(ColumnFrame.SchemaOf(InputType), ColumnFrame.SchemaOf(OutputType!));

    /// <summary>Checks <paramref name="type"/> is a concrete public class with a parameterless constructor implementing a code-model interface.</summary>
    public static CodeModelType Of(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (!type.IsClass || type.IsAbstract || type.ContainsGenericParameters)
        {
            throw new ArgumentException($"{type.FullName} must be a concrete, non-generic class to be a code model.", nameof(type));
        }

        if (type.GetConstructor(Type.EmptyTypes) is null)
        {
            throw new ArgumentException($"{type.FullName} needs a public parameterless constructor to be a code model.", nameof(type));
        }

        var typed = type.GetInterfaces().Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IStrataModel<,>)).ToList();
        var frame = typeof(IStrataModel).IsAssignableFrom(type);
        if (typed.Count + (frame ? 1 : 0) != 1)
        {
            throw new ArgumentException(
                typed.Count + (frame ? 1 : 0) == 0
                    ? $"{type.FullName} implements neither IStrataModel nor IStrataModel<TInput, TOutput>."
                    : $"{type.FullName} implements more than one code-model interface; implement exactly one.",
                nameof(type));
        }

        return frame ? new CodeModelType(type, null, null) : new CodeModelType(type, typed[0].GetGenericArguments()[0], typed[0].GetGenericArguments()[1]);
    }

    /// <summary>Creates the model and returns it as a column-frame model (a typed one is wrapped).</summary>
    public IStrataModel CreateInstance()
    {
        var instance = Activator.CreateInstance(Type)!;
        return InputType is null
            ? (IStrataModel)instance
            : (IStrataModel)Activator.CreateInstance(typeof(TypedFrameModel<,>).MakeGenericType(InputType, OutputType!), instance)!;
    }
}

/// <summary>A typed model seen as a column-frame one: columns to rows, the model, rows to columns.</summary>
internal sealed class TypedFrameModel<TInput, TOutput>(IStrataModel<TInput, TOutput> model) : IStrataModel, IAsyncDisposable
    where TInput : new()
{
    public IStrataModel<TInput, TOutput> Model { get; } = model;

    public ValueTask LoadAsync(ModelContext context, CancellationToken cancellationToken) => Model.LoadAsync(context, cancellationToken);

    public async ValueTask<ModelOutput> PredictAsync(ModelInput input, IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken)
    {
        var rows = ColumnFrame.ToRows<TInput>(input);
        var outputs = await Model.PredictAsync(rows, parameters, cancellationToken).ConfigureAwait(false);
        if (outputs.Count != rows.Length)
        {
            throw new InvalidOperationException($"{Model.GetType().Name} returned {outputs.Count} predictions for {rows.Length} rows.");
        }

        return ColumnFrame.ToOutput(outputs);
    }

    public async ValueTask DisposeAsync()
    {
        switch (Model)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }
}
