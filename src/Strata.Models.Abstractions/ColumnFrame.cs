using System.Globalization;
using System.Reflection;
using Strata.Core.Models;

namespace Strata.Models;

/// <summary>
/// Converts between typed rows (the public properties of a class) and the named columns the server parses requests into.
/// The host uses it for <see cref="IStrataModel{TInput, TOutput}"/>; a code model uses it to call the models it carries
/// (<c>ColumnFrame.ToInput(rows)</c>, then <c>ColumnFrame.ToRows&lt;TOut&gt;(output)</c>).
/// </summary>
public static class ColumnFrame
{
    /// <summary>The column-based schema of <typeparamref name="T"/>: one column per public property.</summary>
    public static ModelSchema SchemaOf<T>()
    {
        ColumnsOf<T>();
        return RowColumns<T>.Schema;
    }

    /// <summary>The column-based schema of <paramref name="type"/>: one column per public property.</summary>
    public static ModelSchema SchemaOf(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return (ModelSchema)typeof(ColumnFrame).GetMethod(nameof(SchemaOf), 1, Type.EmptyTypes)!.MakeGenericMethod(type).Invoke(null, null)!;
    }

    public static ModelInput ToInput<T>(IReadOnlyList<T> rows) => new(Gather(rows));

    public static ModelOutput ToOutput<T>(IReadOnlyList<T> rows) => new(Gather(rows));

    /// <summary>One <typeparamref name="T"/> per row, each property read from the column of its name.</summary>
    public static T[] ToRows<T>(ModelInput input)
        where T : new()
    {
        ArgumentNullException.ThrowIfNull(input);
        return Scatter<T>(input.Tensors, input.RowCount);
    }

    /// <summary>One <typeparamref name="T"/> per output row, each property read from the output of its name.</summary>
    public static T[] ToRows<T>(ModelOutput output)
        where T : new()
    {
        ArgumentNullException.ThrowIfNull(output);
        return Scatter<T>(output.Tensors, output.RowCount);
    }

    /// <summary>The columns of <typeparamref name="T"/>; a property type with no column type is reported as itself.</summary>
    private static RowColumn<T>[] ColumnsOf<T>()
    {
        try
        {
            return RowColumns<T>.Columns;
        }
        catch (TypeInitializationException e) when (e.InnerException is NotSupportedException inner)
        {
            throw new NotSupportedException(inner.Message, inner);
        }
    }

    private static ModelTensor[] Gather<T>(IReadOnlyList<T> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var columns = ColumnsOf<T>();
        var tensors = new ModelTensor[columns.Length];
        for (var i = 0; i < columns.Length; i++)
        {
            tensors[i] = columns[i].Gather(rows);
        }

        return tensors;
    }

    private static T[] Scatter<T>(IReadOnlyList<ModelTensor> tensors, int rowCount)
        where T : new()
    {
        var rows = new T[rowCount];
        for (var r = 0; r < rows.Length; r++)
        {
            rows[r] = new T();
        }

        foreach (var column in ColumnsOf<T>())
        {
            ModelTensor? tensor = null;
            foreach (var t in tensors)
            {
                if (string.Equals(t.Name, column.Name, StringComparison.Ordinal))
                {
                    tensor = t;
                    break;
                }
            }

            if (tensor is null)
            {
                if (column.Spec.Required)
                {
                    throw new ModelInputException(
                        $"Missing column '{column.Name}' for {typeof(T).Name}; the data has [{string.Join(", ", tensors.Select(t => t.Name))}].");
                }

                continue;
            }

            column.Scatter(tensor, rows);
        }

        return rows;
    }
}

/// <summary>The columns of one row type, built once per type (a generic static, so a type from a collectible
/// load context is not kept alive by a cache in this shared assembly).</summary>
internal static class RowColumns<T>
{
    public static readonly RowColumn<T>[] Columns = Build();

    public static readonly ModelSchema Schema = ModelSchema.FromColumns(Columns.Select(c => c.Spec));

    private static RowColumn<T>[] Build()
    {
        if (typeof(T).IsValueType || typeof(T).IsAbstract)
        {
            throw new NotSupportedException($"{typeof(T).Name} must be a class with public properties to be used as model rows.");
        }

        var columns = new List<RowColumn<T>>();
        foreach (var property in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetGetMethod() is null)
            {
                continue;
            }

            var valueType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (!ColumnTypes.TryGet(valueType, out var dataType))
            {
                throw new NotSupportedException(
                    $"Property {typeof(T).Name}.{property.Name} has type {property.PropertyType.Name}; model columns are float, double, int, long, bool, string, byte[] or DateTime.");
            }

            var name = property.GetCustomAttribute<ModelColumnAttribute>()?.Name ?? property.Name;
            var required = property.PropertyType.IsValueType && Nullable.GetUnderlyingType(property.PropertyType) is null;
            var column = (RowColumn<T>)Activator.CreateInstance(
                typeof(RowColumn<,>).MakeGenericType(typeof(T), property.PropertyType), property, new ColumnSpec(dataType, name, required))!;
            columns.Add(column);
        }

        if (columns.Count == 0)
        {
            throw new NotSupportedException($"{typeof(T).Name} has no public properties to use as model columns.");
        }

        return [.. columns];
    }
}

internal static class ColumnTypes
{
    public static bool TryGet(Type type, out DataType dataType)
    {
        dataType = type switch
        {
            _ when type == typeof(float) => DataType.Float,
            _ when type == typeof(double) => DataType.Double,
            _ when type == typeof(int) => DataType.Integer,
            _ when type == typeof(long) => DataType.Long,
            _ when type == typeof(bool) => DataType.Boolean,
            _ when type == typeof(string) => DataType.String,
            _ when type == typeof(byte[]) => DataType.Binary,
            _ when type == typeof(DateTime) => DataType.Datetime,
            _ => (DataType)(-1),
        };
        return (int)dataType >= 0;
    }
}

internal abstract class RowColumn<T>(ColumnSpec spec)
{
    public ColumnSpec Spec { get; } = spec;

    public string Name => Spec.Name!;

    public abstract ModelTensor Gather(IReadOnlyList<T> rows);

    public abstract void Scatter(ModelTensor tensor, T[] rows);
}

/// <summary>One property as a column, read and written through delegates (no reflection per value).</summary>
internal sealed class RowColumn<T, TValue> : RowColumn<T>
{
    private readonly Func<T, TValue> _get;
    private readonly Action<T, TValue>? _set;
    private readonly Type _valueType = Nullable.GetUnderlyingType(typeof(TValue)) ?? typeof(TValue);

    public RowColumn(PropertyInfo property, ColumnSpec spec)
        : base(spec)
    {
        _get = property.GetGetMethod()!.CreateDelegate<Func<T, TValue>>();
        _set = property.GetSetMethod()?.CreateDelegate<Action<T, TValue>>();
    }

    public override ModelTensor Gather(IReadOnlyList<T> rows)
    {
        if (typeof(TValue) != _valueType)
        {
            // A nullable property: the column holds the underlying type, missing values as its default.
            var boxed = Array.CreateInstance(_valueType, rows.Count);
            for (var i = 0; i < rows.Count; i++)
            {
                boxed.SetValue((object?)_get(rows[i]) ?? Activator.CreateInstance(_valueType), i);
            }

            return (ModelTensor)typeof(ModelTensor).GetMethod(nameof(ModelTensor.Column))!.MakeGenericMethod(_valueType).Invoke(null, [Name, boxed])!;
        }

        var values = new TValue[rows.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = _get(rows[i]);
        }

        return ModelTensor.Column(Name, values);
    }

    public override void Scatter(ModelTensor tensor, T[] rows)
    {
        if (_set is null)
        {
            throw new NotSupportedException($"{typeof(T).Name}.{Name} has no setter, so rows of {typeof(T).Name} cannot be filled from columns.");
        }

        if (tensor.Length != rows.Length)
        {
            throw new ModelInputException(
                $"Column '{Name}' has shape {tensor.ShapeText}; {typeof(T).Name} takes one value per row for {rows.Length} rows.");
        }

        if (tensor is ModelTensor<TValue> same)
        {
            var span = same.Span;
            for (var i = 0; i < rows.Length; i++)
            {
                _set(rows[i], span[i]);
            }

            return;
        }

        for (var i = 0; i < rows.Length; i++)
        {
            var value = tensor.GetBoxed(i);
            try
            {
                _set(rows[i], value is null ? default! : (TValue)Convert.ChangeType(value, _valueType, CultureInfo.InvariantCulture));
            }
            catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
            {
                throw new ModelInputException($"Column '{Name}' holds {tensor.ElementType} values, which do not convert to {_valueType.Name}: {e.Message}");
            }
        }
    }
}
