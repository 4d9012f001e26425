using Microsoft.ML;
using Microsoft.ML.Data;
using Strata.Core.Models;

namespace Strata.Serving.Runtimes;

/// <summary>
/// A prediction engine over columnar input: the model's row-to-row mapper wired once to a movable input row and to
/// getters for each output column. Not thread-safe; the runtime pools them.
/// </summary>
internal sealed class MlnetRowEngine : IDisposable
{
    private readonly ModelInputCursor _input;
    private readonly DataViewRow _output;
    private readonly MlnetOutputReader[] _readers;

    public MlnetRowEngine(ITransformer transformer, DataViewSchema inputSchema, IReadOnlyList<string> outputColumns)
    {
        var mapper = transformer.GetRowToRowMapper(inputSchema);
        var columns = outputColumns.Select(n => mapper.OutputSchema[n]).ToList();
        _input = new ModelInputCursor(inputSchema);
        _output = mapper.GetRow(_input, columns);
        _readers = columns.Select(c => MlnetOutputReader.Create(_output, c)).ToArray();
    }

    public ModelOutput Predict(IReadOnlyList<ModelTensor?> columns, int rows)
    {
        _input.Bind(columns, rows);
        foreach (var reader in _readers)
        {
            reader.Reset(rows);
        }

        for (var r = 0; r < rows; r++)
        {
            _input.Seek(r);
            foreach (var reader in _readers)
            {
                reader.Read(r);
            }
        }

        _input.Unbind();
        return new ModelOutput(_readers.Select(r => r.Finish()).ToList());
    }

    public void Dispose() => _output.Dispose();
}
