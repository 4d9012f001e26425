using System.Numerics;
using Parquet;
using Parquet.Schema;
using Strata.Core.Monitoring;

namespace Strata.Storage.Monitoring;

/// <summary>
/// Reads the flat numeric, boolean and string columns of a Parquet file (Parquet.Net) into a <see cref="FeatureTable"/>,
/// row group by row group: numbers as numbers, booleans and strings as categories, nulls (and empty strings) as
/// missing. Nested and repeated columns, timestamps and binary columns are left out.
/// </summary>
public static class ParquetTableReader
{
    public static async Task ReadAsync(Stream parquet, FeatureTable table, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parquet);
        ArgumentNullException.ThrowIfNull(table);
        parquet.Position = 0;
        await using var reader = await ParquetReader.CreateAsync(parquet, null, true, ct).ConfigureAwait(false);
        var fields = reader.Schema.GetDataFields().Where(f => !f.IsArray && f.MaxRepetitionLevel == 0 && Readable(f)).ToList();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var rows = checked((int)group.RowCount);
            foreach (var field in fields)
            {
                var column = table.Column(field.Name);
                var type = Nullable.GetUnderlyingType(field.ClrType) ?? field.ClrType;
                var read = type switch
                {
                    _ when type == typeof(double) => ReadNumbersAsync<double>(group, field, column, rows, ct),
                    _ when type == typeof(float) => ReadNumbersAsync<float>(group, field, column, rows, ct),
                    _ when type == typeof(long) => ReadNumbersAsync<long>(group, field, column, rows, ct),
                    _ when type == typeof(int) => ReadNumbersAsync<int>(group, field, column, rows, ct),
                    _ when type == typeof(short) => ReadNumbersAsync<short>(group, field, column, rows, ct),
                    _ when type == typeof(sbyte) => ReadNumbersAsync<sbyte>(group, field, column, rows, ct),
                    _ when type == typeof(byte) => ReadNumbersAsync<byte>(group, field, column, rows, ct),
                    _ when type == typeof(ushort) => ReadNumbersAsync<ushort>(group, field, column, rows, ct),
                    _ when type == typeof(uint) => ReadNumbersAsync<uint>(group, field, column, rows, ct),
                    _ when type == typeof(ulong) => ReadNumbersAsync<ulong>(group, field, column, rows, ct),
                    _ when type == typeof(decimal) => ReadNumbersAsync<decimal>(group, field, column, rows, ct),
                    _ when type == typeof(bool) => ReadBooleansAsync(group, field, column, rows, ct),
                    _ when IsString(type) => ReadStringsAsync(group, field, column, rows, ct),
                    _ => Task.CompletedTask,
                };
                await read.ConfigureAwait(false);
            }

            table.EndRows(rows);
        }
    }

    /// <summary>
    /// Parquet.Net 6 reports a UTF-8 string column's type as <see cref="ReadOnlyMemory{T}"/> of char (its physical
    /// reading type), not <see cref="string"/>: a reader that looks for <c>string</c> never sees one.
    /// </summary>
    private static bool IsString(Type type) => type == typeof(string) || type == typeof(ReadOnlyMemory<char>);

    private static bool Readable(DataField field)
    {
        var type = Nullable.GetUnderlyingType(field.ClrType) ?? field.ClrType;
        return type == typeof(bool) || IsString(type) || (type.IsPrimitive && type != typeof(char) && type != typeof(IntPtr) && type != typeof(UIntPtr)) || type == typeof(decimal);
    }

    private static async Task ReadNumbersAsync<T>(ParquetRowGroupReader group, DataField field, FeatureColumn column, int rows, CancellationToken ct)
        where T : struct, INumberBase<T>
    {
        if (field.IsNullable)
        {
            var values = new T?[rows];
            await group.ReadAsync<T>(field, values.AsMemory(), null, ct).ConfigureAwait(false);
            foreach (var v in values)
            {
                if (v is { } x)
                {
                    column.AddNumber(double.CreateTruncating(x));
                }
                else
                {
                    column.AddMissing();
                }
            }
        }
        else
        {
            var values = new T[rows];
            await group.ReadAsync<T>(field, values.AsMemory(), null, ct).ConfigureAwait(false);
            foreach (var v in values)
            {
                column.AddNumber(double.CreateTruncating(v));
            }
        }
    }

    /// <summary>UTF-8 strings as categories; null and empty strings count as missing, as CSV's empty cells do.</summary>
    private static async Task ReadStringsAsync(ParquetRowGroupReader group, DataField field, FeatureColumn column, int rows, CancellationToken ct)
    {
        var values = new string?[rows];
        await group.ReadAsync(field, values.AsMemory(), null, ct).ConfigureAwait(false);
        foreach (var v in values)
        {
            if (string.IsNullOrEmpty(v))
            {
                column.AddMissing();
            }
            else
            {
                column.AddCategory(v);
            }
        }
    }

    private static async Task ReadBooleansAsync(ParquetRowGroupReader group, DataField field, FeatureColumn column, int rows, CancellationToken ct)
    {
        var values = new bool?[rows];
        if (field.IsNullable)
        {
            await group.ReadAsync<bool>(field, values.AsMemory(), null, ct).ConfigureAwait(false);
        }
        else
        {
            var plain = new bool[rows];
            await group.ReadAsync<bool>(field, plain.AsMemory(), null, ct).ConfigureAwait(false);
            for (var i = 0; i < rows; i++)
            {
                values[i] = plain[i];
            }
        }

        foreach (var v in values)
        {
            if (v is { } b)
            {
                column.AddCategory(b ? "true" : "false");
            }
            else
            {
                column.AddMissing();
            }
        }
    }

}
