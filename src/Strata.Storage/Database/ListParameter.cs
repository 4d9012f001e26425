using System.Data;
using Dapper;

namespace Strata.Storage.Database;

/// <summary>
/// A <see cref="SqlDialect.ListTable"/> value (a PostgreSQL array, SQLite JSON text) bound as one parameter through
/// <see cref="DynamicParameters"/>. Dapper expands an enumerable value added there into one parameter per element (it
/// looks at the runtime type); an anonymous object's <c>object</c>-typed member is bound as it is and needs no wrapper.
/// </summary>
public sealed record ListParameter(object Value) : SqlMapper.ICustomQueryParameter
{
    public void AddParameter(IDbCommand command, string name)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = Value;
        command.Parameters.Add(parameter);
    }
}
