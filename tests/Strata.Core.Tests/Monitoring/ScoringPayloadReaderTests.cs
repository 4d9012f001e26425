using Strata.Core.Monitoring;

namespace Strata.Core.Tests.Monitoring;

public sealed class ScoringPayloadReaderTests
{
    [Theory]
    [InlineData("""{"dataframe_split": {"columns": ["a", "b"], "data": [[1, "x"], [2, "y"]]}}""")]
    [InlineData("""{"dataframe_records": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]}""")]
    [InlineData("""{"instances": [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]}""")]
    [InlineData("""{"inputs": {"a": [1, 2], "b": ["x", "y"]}, "params": {"k": 1}}""")]
    [InlineData("a,b\n1,x\n2,y\n")]
    public void Every_scoring_protocol_form_gives_the_same_table(string body)
    {
        var table = new FeatureTable();
        Assert.True(ScoringPayloadReader.ReadInputs("mlflow", body, table));
        Assert.Equal(2, table.RowCount);
        Assert.Equal([1, 2], table.Find("a")!.Numbers.ToArray());
        Assert.Equal(2, table.Find("b")!.Categories.Count);
    }

    [Fact]
    public void Open_inference_protocol_tensors_become_columns()
    {
        var table = new FeatureTable();
        Assert.True(ScoringPayloadReader.ReadInputs(
            "v2",
            """{"inputs": [{"name": "a", "shape": [2], "datatype": "FP64", "data": [1, 2]}, {"name": "m", "shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3, 4]]}]}""",
            table));
        Assert.Equal(2, table.RowCount);
        Assert.Equal([1, 3], table.Find("m[0]")!.Numbers.ToArray());
        Assert.Equal([2, 4], table.Find("m[1]")!.Numbers.ToArray());

        var outputs = new FeatureTable();
        Assert.True(ScoringPayloadReader.ReadOutputs("v2", """{"outputs": [{"name": "y", "shape": [2], "datatype": "BYTES", "data": ["p", "q"]}]}""", outputs));
        Assert.Equal(2, outputs.Find("y")!.CategoryTotal);
    }

    [Fact]
    public void Predictions_become_the_prediction_column_or_named_columns()
    {
        var single = new FeatureTable();
        Assert.True(ScoringPayloadReader.ReadOutputs("mlflow", """{"predictions": [0.5, 1.5, null]}""", single));
        Assert.Equal((3L, 1L), (single.RowCount, single.Find("prediction")!.Missing));

        var records = new FeatureTable();
        Assert.True(ScoringPayloadReader.ReadOutputs("mlflow", """{"predictions": [{"PredictedLabel": "rain", "Score": [0.1, 0.9]}]}""", records));
        Assert.Equal(1, records.Find("PredictedLabel")!.CategoryTotal);
        // A vector is not a scalar feature: counted as missing for that row.
        Assert.Equal(1, records.Find("Score")!.Missing);
    }

    [Fact]
    public void Bodies_in_no_known_form_are_refused()
    {
        var table = new FeatureTable();
        Assert.False(ScoringPayloadReader.ReadInputs("mlflow", """{"something": 1}""", table));
        Assert.False(ScoringPayloadReader.ReadInputs("mlflow", "{not json", table));
        Assert.False(ScoringPayloadReader.ReadOutputs("mlflow", """{"error_code": "BAD_REQUEST"}""", table));
        Assert.Equal(0, table.RowCount);
    }
}

public sealed class DataframeSplitFastPathTests
{
    [Theory]
    [InlineData("""{"dataframe_split": {"index": [0, 1, 2], "columns": ["a", "b", "c"], "data": [[1, "x", [5]], [null, "y\u00e9", [1, 2]], [2.5, "", {"k": 1}]]}, "params": {}}""")]
    [InlineData("""{"params": {"p": [1]}, "dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, "x", [5]], [null, "y\u00e9", [1, 2]], [2.5, "", {"k": 1}]]}}""")]
    public void The_fast_path_reads_what_the_general_reader_reads(string body)
    {
        var fast = new FeatureTable();
        Assert.True(DataframeSplitReader.TryRead(System.Text.Encoding.UTF8.GetBytes(body), fast));
        var general = new FeatureTable();
        using (var doc = System.Text.Json.JsonDocument.Parse(body))
        {
            JsonTableReader.ReadTable(doc.RootElement.GetProperty("dataframe_split"), general);
        }

        Assert.Equal(general.RowCount, fast.RowCount);
        foreach (var column in general.Columns)
        {
            var other = fast.Find(column.Name)!;
            Assert.Equal(column.Numbers.ToArray(), other.Numbers.ToArray());
            Assert.Equal(column.Categories.OrderBy(k => k.Key), other.Categories.OrderBy(k => k.Key));
            Assert.Equal(column.Missing, other.Missing);
        }

        Assert.Equal(1, fast.Find("b")!.Categories["y\u00e9"]);
        Assert.Equal([1, 2.5], fast.Find("a")!.Numbers.ToArray());
        Assert.Equal([5], fast.Find("c")!.Numbers.ToArray());
    }

    [Theory]
    [InlineData("""{"dataframe_split": {"data": [[1]], "columns": ["a"]}}""")]
    [InlineData("""{"dataframe_records": [{"a": 1}]}""")]
    [InlineData("""[1, 2]""")]
    [InlineData("""{"dataframe_split": """)]
    public void Other_forms_fall_back_without_adding_anything(string body)
    {
        var table = new FeatureTable();
        Assert.False(DataframeSplitReader.TryRead(System.Text.Encoding.UTF8.GetBytes(body), table));
        Assert.Equal(0, table.RowCount);
        Assert.All(table.Columns, c => Assert.Equal(0, c.Total));
    }
}

public sealed class PredictionListFastPathTests
{
    [Theory]
    [InlineData("""{"predictions": [1, 2.5, -0.1234, 1e3, 12345678901234567890]}""")]
    [InlineData("""{ "predictions" : [ 0.1 ] }""")]
    [InlineData("""{"predictions": [1e999, -1e999]}""")]
    public void The_fast_path_reads_what_the_general_reader_reads(string body)
    {
        var fast = new FeatureTable();
        Assert.True(PredictionListReader.TryRead(System.Text.Encoding.UTF8.GetBytes(body), fast));
        var general = new FeatureTable();
        using (var doc = System.Text.Json.JsonDocument.Parse(body))
        {
            JsonTableReader.ReadRows(doc.RootElement.GetProperty("predictions"), general, null, ScoringPayloadReader.PredictionColumn);
        }

        Assert.Equal(general.RowCount, fast.RowCount);
        Assert.Equal(
            general.Find(ScoringPayloadReader.PredictionColumn)!.Numbers.ToArray().Select(BitConverter.DoubleToInt64Bits),
            fast.Find(ScoringPayloadReader.PredictionColumn)!.Numbers.ToArray().Select(BitConverter.DoubleToInt64Bits));
    }

    [Theory]
    [InlineData("""{"predictions": [1, "a"]}""")]
    [InlineData("""{"predictions": [[1, 2], [3, 4]]}""")]
    [InlineData("""{"predictions": []}""")]
    [InlineData("""{"predictions": [1], "other": 2}""")]
    [InlineData("""{"predictions": {"a": [1]}}""")]
    [InlineData("""{"predictions": [1, 2""")]
    [InlineData("""{"predictions": [1]} x""")]
    [InlineData("""[1, 2]""")]
    public void Other_forms_fall_back_without_adding_anything(string body)
    {
        var table = new FeatureTable();
        Assert.False(PredictionListReader.TryRead(System.Text.Encoding.UTF8.GetBytes(body), table));
        Assert.Equal(0, table.RowCount);
        Assert.Empty(table.Columns);
    }
}
