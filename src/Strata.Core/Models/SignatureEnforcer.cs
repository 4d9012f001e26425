using System.Globalization;
using System.Numerics;
using System.Reflection;
using Strata.Core.Errors;

namespace Strata.Core.Models;

/// <summary>
/// Checks an input against a signature's input schema the way MLflow's pyfunc does before predict: required columns
/// or tensors present, element types equal or safely castable (numpy "safe" casting, done here), shapes compatible.
/// Every failure is an INVALID_PARAMETER_VALUE naming the column or tensor.
/// </summary>
public static class SignatureEnforcer
{
    /// <summary>Returns the input in schema order with safe casts applied; throws when it does not fit.</summary>
    public static ModelInput Enforce(ModelSchema? schema, ModelInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (schema is null || schema.Count == 0)
        {
            return input;
        }

        if (AlreadyConforms(schema, input))
        {
            return input;
        }

        return schema.IsTensorBased ? EnforceTensors(schema, input) : EnforceColumns(schema, input);
    }

    /// <summary>
    /// The hot path: a serving layer that parsed the request by the schema hands over exactly the schema's entries,
    /// in order, of the right types and shapes. Checking that allocates nothing.
    /// </summary>
    private static bool AlreadyConforms(ModelSchema schema, ModelInput input)
    {
        if (input.Tensors.Count != schema.Count || !schema.HasNames)
        {
            return false;
        }

        var rows = input.RowCount;
        for (var i = 0; i < schema.Count; i++)
        {
            var tensor = input.Tensors[i];
            if (!string.Equals(tensor.Name, schema.Names[i], StringComparison.Ordinal) || tensor.ShapeProduct() != tensor.Length)
            {
                return false;
            }

            if (schema.IsTensorBased)
            {
                var spec = schema.Tensors[i];
                if (tensor.ElementType != spec.Type || tensor.Shape.Length != spec.Shape.Count)
                {
                    return false;
                }

                for (var d = 0; d < spec.Shape.Count; d++)
                {
                    if (spec.Shape[d] != -1 && spec.Shape[d] != tensor.Shape[d])
                    {
                        return false;
                    }
                }
            }
            else if (schema.Columns[i].Type is not ScalarColumnType scalar
                || tensor.ElementType != scalar.Type.ToElementType()
                || tensor.Shape.Length != 1
                || tensor.Rows != rows)
            {
                return false;
            }
        }

        return true;
    }

    private static ModelInput EnforceColumns(ModelSchema schema, ModelInput input)
    {
        var matched = Match(schema, input);
        var rows = -1;
        var result = new List<ModelTensor>(matched.Length);
        for (var i = 0; i < schema.Columns.Count; i++)
        {
            var spec = schema.Columns[i];
            var tensor = matched[i];
            if (tensor is null)
            {
                continue;
            }

            var label = ColumnLabel(spec, i);
            CheckLength(tensor, label);
            if (rows < 0)
            {
                rows = tensor.Rows;
            }
            else if (tensor.Rows != rows)
            {
                throw MlflowException.InvalidParameter($"Input column {label} has {tensor.Rows} rows but the other columns have {rows}.");
            }

            switch (spec.Type)
            {
                case ScalarColumnType scalar:
                    if (tensor.Shape.Length != 1)
                    {
                        throw MlflowException.InvalidParameter(
                            $"Input column {label} must hold one {scalar.Type.ToWire()} per row, but its shape is {tensor.ShapeText}.");
                    }

                    result.Add(Cast(tensor, scalar.Type.ToElementType(), $"column {label}", scalar.Type.ToWire()));
                    break;
                case ArrayColumnType { Items: ScalarColumnType items }:
                    if (tensor.Shape.Length < 2)
                    {
                        throw MlflowException.InvalidParameter(
                            $"Input column {label} must hold an array of {items.Type.ToWire()} per row, but its shape is {tensor.ShapeText}.");
                    }

                    result.Add(Cast(tensor, items.Type.ToElementType(), $"column {label}", $"array<{items.Type.ToWire()}>"));
                    break;
                default:
                    // Objects, maps and 'any' arrive as JSON text or nested values; the runtime that declared them checks them.
                    result.Add(tensor);
                    break;
            }
        }

        return new ModelInput(result);
    }

    private static ModelInput EnforceTensors(ModelSchema schema, ModelInput input)
    {
        var matched = Match(schema, input);
        var result = new List<ModelTensor>(matched.Length);
        for (var i = 0; i < schema.Tensors.Count; i++)
        {
            var spec = schema.Tensors[i];
            var tensor = matched[i];
            if (tensor is null)
            {
                continue;
            }

            var label = spec.Name is null ? $"#{i}" : $"'{spec.Name}'";
            CheckLength(tensor, label);
            if (tensor.ElementType != spec.Type)
            {
                throw MlflowException.InvalidParameter(
                    $"dtype of input {label} is {tensor.ElementType.ToNumpyName()}, which does not match the expected dtype {spec.Type.ToNumpyName()}.");
            }

            var fits = tensor.Shape.Length == spec.Shape.Count;
            for (var d = 0; fits && d < spec.Shape.Count; d++)
            {
                fits = spec.Shape[d] == -1 || spec.Shape[d] == tensor.Shape[d];
            }

            if (!fits)
            {
                var expected = "(" + string.Join(", ", spec.Shape.Select(x => x.ToString(CultureInfo.InvariantCulture))) + (spec.Shape.Count == 1 ? ",)" : ")");
                throw MlflowException.InvalidParameter(
                    $"Shape of input {label} is {tensor.ShapeText}, which does not match the expected shape {expected}.");
            }

            result.Add(tensor);
        }

        return new ModelInput(result);
    }

    /// <summary>Pairs each schema entry with its input: by name when the schema names them, else by position.</summary>
    private static ModelTensor?[] Match(ModelSchema schema, ModelInput input)
    {
        var matched = new ModelTensor?[schema.Count];
        var names = schema.Names;
        if (schema.HasNames)
        {
            var missing = new List<string>();
            for (var i = 0; i < names.Count; i++)
            {
                matched[i] = input.Find(names[i]!);
                var required = schema.IsTensorBased || schema.Columns[i].Required;
                if (matched[i] is null && required)
                {
                    missing.Add(names[i]!);
                }
            }

            if (missing.Count > 0)
            {
                var extra = input.Tensors.Select(t => t.Name).Where(n => !names.Contains(n)).ToList();
                var message = $"Model is missing inputs {PyList(missing)}.";
                if (extra.Count > 0)
                {
                    message += $" Note that there were extra inputs: {PyList(extra)}.";
                }

                throw MlflowException.InvalidParameter(message);
            }

            return matched;
        }

        var requiredCount = schema.IsTensorBased ? schema.Count : schema.Columns.Count(c => c.Required);
        if (input.Tensors.Count < requiredCount)
        {
            throw MlflowException.InvalidParameter(
                $"Model inference is missing inputs. The model signature declares {schema.Count} inputs but the input has {input.Tensors.Count}.");
        }

        for (var i = 0; i < schema.Count && i < input.Tensors.Count; i++)
        {
            matched[i] = input.Tensors[i];
        }

        return matched;
    }

    private static void CheckLength(ModelTensor tensor, string label)
    {
        if (tensor.ShapeProduct() != tensor.Length)
        {
            throw MlflowException.InvalidParameter(
                $"Input {label} holds {tensor.Length} values but its shape {tensor.ShapeText} needs {tensor.ShapeProduct()}.");
        }
    }

    private static ModelTensor Cast(ModelTensor tensor, TensorElementType target, string label, string expected)
    {
        if (tensor.ElementType == target)
        {
            return tensor;
        }

        if (!TensorElementTypes.CanCastSafely(tensor.ElementType, target))
        {
            throw MlflowException.InvalidParameter(
                $"Incompatible input types for {label}. Can not safely convert {tensor.ElementType.ToNumpyName()} to {expected}.");
        }

        return (ModelTensor)CastMethod.MakeGenericMethod(tensor.ElementType.ClrType(), target.ClrType()).Invoke(null, [tensor])!;
    }

    private static readonly MethodInfo CastMethod =
        typeof(SignatureEnforcer).GetMethod(nameof(CastNumbers), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static ModelTensor<TTo> CastNumbers<TFrom, TTo>(ModelTensor<TFrom> tensor)
        where TFrom : INumberBase<TFrom>
        where TTo : INumberBase<TTo>
    {
        var source = tensor.Span;
        var values = new TTo[source.Length];
        for (var i = 0; i < source.Length; i++)
        {
            values[i] = TTo.CreateTruncating(source[i]);
        }

        return new ModelTensor<TTo>(tensor.Name, values, tensor.Shape);
    }

    private static string ColumnLabel(ColumnSpec spec, int index) => spec.Name is null ? $"#{index}" : $"'{spec.Name}'";

    private static string PyList(IEnumerable<string> names) => "[" + string.Join(", ", names.Select(n => $"'{n}'")) + "]";
}
