using System.Numerics;
using Parquet;
using Parquet.Schema;
using Strata.Core.Monitoring;

namespace Strata.Storage.Monitoring;

/// <summary>
/// Reads the flat numeric and boolean columns of a Parquet file (Parquet.Net) into a <see cref="FeatureTable"/>, row
/// group by row group: numbers as numbers, booleans as categories, nulls as missing. String columns are left out for
/// now: Parquet.Net 6.1's string column reader returned only nulls for an optional string column in our test, so
/// reading them would profile every value as missing; CSV or JSON carries them. Nested and repeated columns, and
/// timestamps and binary columns, are left out too.
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
                    _ => Task.CompletedTask,
                };
                await read.ConfigureAwait(false);
            }

            table.EndRows(rows);
        }
    }

    private static bool Readable(DataField field)
    {
        var type = Nullable.GetUnderlyingType(field.ClrType) ?? field.ClrType;
        return type == typeof(bool) || (type.IsPrimitive && type != typeof(char) && type != typeof(IntPtr) && type != typeof(UIntPtr)) || type == typeof(decimal);
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
