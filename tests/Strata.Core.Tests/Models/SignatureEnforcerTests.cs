using Strata.Core.Errors;
using Strata.Core.Models;

namespace Strata.Core.Tests.Models;

public class SignatureEnforcerTests
{
    private static readonly ModelSchema Columns = ModelSchema.FromColumns(
    [
        new ColumnSpec(DataType.Double, "a"),
        new ColumnSpec(DataType.Long, "b"),
        new ColumnSpec(DataType.String, "note", Required: false),
    ]);

    private static readonly ModelSchema Tensors = ModelSchema.FromTensors(
        [new TensorSpec(TensorElementType.Float32, [-1, 3], "features")]);

    [Fact]
    public void Passes_a_matching_input_through_in_schema_order()
    {
        var input = new ModelInput(ModelTensor.Column("b", new long[] { 1, 2 }), ModelTensor.Column("a", new[] { 0.5, 1.5 }));
        var result = SignatureEnforcer.Enforce(Columns, input);
        Assert.Equal(["a", "b"], result.Tensors.Select(t => t.Name));
        Assert.Equal(2, result.RowCount);
    }

    [Fact]
    public void Names_every_missing_column_and_the_extra_ones()
    {
        var input = new ModelInput(ModelTensor.Column("b", new long[] { 1 }), ModelTensor.Column("z", new long[] { 1 }));
        var e = Assert.Throws<MlflowException>(() => SignatureEnforcer.Enforce(Columns, input));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, e.Code);
        Assert.Equal("Model is missing inputs ['a']. Note that there were extra inputs: ['z'].", e.Message);
    }

    [Fact]
    public void Casts_safely_and_rejects_lossy_casts_naming_the_column()
    {
        var widened = SignatureEnforcer.Enforce(Columns,
            new ModelInput(ModelTensor.Column("a", new[] { 1, 2 }), ModelTensor.Column("b", new[] { 3, 4 })));
        Assert.Equal(TensorElementType.Float64, widened.Tensors[0].ElementType);
        Assert.Equal(2.0, ((ModelTensor<double>)widened.Tensors[0]).Span[1]);
        Assert.Equal(4L, ((ModelTensor<long>)widened.Tensors[1]).Span[1]);

        var e = Assert.Throws<MlflowException>(() => SignatureEnforcer.Enforce(Columns,
            new ModelInput(ModelTensor.Column("a", new[] { 1.0 }), ModelTensor.Column("b", new[] { 1.5 }))));
        Assert.Equal("Incompatible input types for column 'b'. Can not safely convert float64 to long.", e.Message);

        e = Assert.Throws<MlflowException>(() => SignatureEnforcer.Enforce(Columns,
            new ModelInput(ModelTensor.Column("a", new[] { "x" }), ModelTensor.Column("b", new[] { 1L }))));
        Assert.Contains("column 'a'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_columns_of_different_lengths_and_non_scalar_columns()
    {
        var e = Assert.Throws<MlflowException>(() => SignatureEnforcer.Enforce(Columns,
            new ModelInput(ModelTensor.Column("a", new[] { 1.0, 2.0 }), ModelTensor.Column("b", new[] { 1L }))));
        Assert.Contains("'b' has 1 rows", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<MlflowException>(() => SignatureEnforcer.Enforce(Columns,
            new ModelInput(ModelTensor.Create<double>("a", new double[4], 2, 2), ModelTensor.Column("b", new[] { 1L, 2L }))));
        Assert.Contains("'a' must hold one double per row, but its shape is (2, 2)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Checks_tensor_shape_and_dtype()
    {
        Assert.Single(SignatureEnforcer.Enforce(Tensors, new ModelInput(ModelTensor.Create<float>("features", new float[6], 2, 3))).Tensors);

        var e = Assert.Throws<MlflowException>(() =>
            SignatureEnforcer.Enforce(Tensors, new ModelInput(ModelTensor.Create<float>("features", new float[8], 2, 4))));
        Assert.Equal("Shape of input 'features' is (2, 4), which does not match the expected shape (-1, 3).", e.Message);

        e = Assert.Throws<MlflowException>(() =>
            SignatureEnforcer.Enforce(Tensors, new ModelInput(ModelTensor.Create<double>("features", new double[3], 1, 3))));
        Assert.Contains("dtype of input 'features' is float64, which does not match the expected dtype float32", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<MlflowException>(() =>
            SignatureEnforcer.Enforce(Tensors, new ModelInput(ModelTensor.Create<float>("features", new float[5], 2, 3))));
        Assert.Contains("holds 5 values but its shape (2, 3) needs 6", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<MlflowException>(() =>
            SignatureEnforcer.Enforce(Tensors, new ModelInput(ModelTensor.Create<float>("x", new float[3], 1, 3))));
        Assert.Equal("Model is missing inputs ['features']. Note that there were extra inputs: ['x'].", e.Message);
    }

    [Fact]
    public void Matches_unnamed_specs_by_position()
    {
        var schema = ModelSchema.FromTensors([new TensorSpec(TensorElementType.Int64, [-1])]);
        Assert.Single(SignatureEnforcer.Enforce(schema, new ModelInput(ModelTensor.Column("anything", new[] { 1L }))).Tensors);
        var e = Assert.Throws<MlflowException>(() => SignatureEnforcer.Enforce(schema, new ModelInput()));
        Assert.Contains("missing inputs", e.Message, StringComparison.Ordinal);
    }
}
