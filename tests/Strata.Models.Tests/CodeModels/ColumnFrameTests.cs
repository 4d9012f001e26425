using Strata.Core.Models;

namespace Strata.Models.Tests.CodeModels;

/// <summary>Typed rows to columns and back: what the host does for an <c>IStrataModel&lt;TInput, TOutput&gt;</c>.</summary>
public sealed class ColumnFrameTests
{
    public sealed class Applicant
    {
        [ModelColumn("annual income")]
        public double Income { get; set; }

        public int Age { get; set; }

        public string Name { get; set; } = "";

        public long? Reference { get; set; }

        public bool Existing { get; set; }
    }

    public sealed class WithArray
    {
        public float[] Values { get; set; } = [];
    }

    [Fact]
    public void The_schema_names_every_public_property_with_its_mlflow_type()
    {
        var schema = ColumnFrame.SchemaOf<Applicant>();
        Assert.Equal(["annual income", "Age", "Name", "Reference", "Existing"], schema.Names);
        Assert.Equal(
            [DataType.Double, DataType.Integer, DataType.String, DataType.Long, DataType.Boolean],
            schema.Columns.Select(c => ((ScalarColumnType)c.Type).Type));
        Assert.False(schema.Columns[3].Required); // a nullable property is an optional column
        Assert.True(schema.Columns[1].Required);
        Assert.Equal(schema, ColumnFrame.SchemaOf(typeof(Applicant)));
    }

    [Fact]
    public void Rows_round_trip_through_columns()
    {
        Applicant[] rows =
        [
            new() { Income = 52_000.5, Age = 41, Name = "a", Reference = 7, Existing = true },
            new() { Income = 18_000, Age = 19, Name = "b", Reference = null, Existing = false },
        ];

        var input = ColumnFrame.ToInput(rows);
        Assert.Equal(2, input.RowCount);
        Assert.Equal([7L, 0L], ((ModelTensor<long>)input.Find("Reference")!).Span.ToArray());

        var back = ColumnFrame.ToRows<Applicant>(input);
        Assert.Equal(rows.Select(r => (r.Income, r.Age, r.Name, r.Existing)), back.Select(r => (r.Income, r.Age, r.Name, r.Existing)));
        Assert.Equal(7L, back[0].Reference);
    }

    [Fact]
    public void Columns_of_another_numeric_type_convert_and_missing_optional_columns_stay_default()
    {
        var input = new ModelInput(
            ModelTensor.Column("annual income", new[] { 1.5f }),
            ModelTensor.Column("Age", new[] { 30L }),
            ModelTensor.Column("Name", new[] { "x" }),
            ModelTensor.Column("Existing", new[] { true }));

        var row = Assert.Single(ColumnFrame.ToRows<Applicant>(input));
        Assert.Equal(1.5, row.Income);
        Assert.Equal(30, row.Age);
        Assert.Null(row.Reference);
    }

    [Fact]
    public void A_missing_required_column_is_the_callers_error_naming_it()
    {
        var input = new ModelInput(ModelTensor.Column("Age", new[] { 30 }));
        var error = Assert.Throws<ModelInputException>(() => ColumnFrame.ToRows<Applicant>(input));
        Assert.Contains("'annual income'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_that_does_not_convert_is_the_callers_error()
    {
        var input = new ModelInput(
            ModelTensor.Column("annual income", new[] { 1.0 }),
            ModelTensor.Column("Age", new[] { "thirty" }),
            ModelTensor.Column("Name", new[] { "x" }),
            ModelTensor.Column("Existing", new[] { true }));
        var error = Assert.Throws<ModelInputException>(() => ColumnFrame.ToRows<Applicant>(input));
        Assert.Contains("'Age'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_property_type_without_an_mlflow_column_type_is_refused_when_the_schema_is_built()
    {
        var error = Assert.Throws<NotSupportedException>(() => ColumnFrame.SchemaOf<WithArray>());
        Assert.Contains("WithArray.Values", error.Message, StringComparison.Ordinal);
    }
}
