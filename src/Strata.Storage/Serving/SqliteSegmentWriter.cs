using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Strata.Storage.Serving;

/// <summary>
/// Inserts prediction log segments on SQLite through the raw API, so a segment's JSON goes from the encoder's UTF-8
/// buffer into SQLite as it is: ADO.NET would take it only as a string (two transcodings of a few hundred KB a batch).
/// </summary>
internal static class SqliteSegmentWriter
{
    public static void Insert(SqliteConnection connection, string sql, IReadOnlyList<PredictionLogStore.Segment> segments, ReadOnlySpan<byte> entries)
    {
        var db = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        Check(raw.sqlite3_prepare_v2(db, sql, out var statement), db);
        using (statement)
        {
            foreach (var s in segments)
            {
                raw.sqlite3_bind_text(statement, 1, s.ModelName);
                raw.sqlite3_bind_text(statement, 2, s.ModelVersion);
                raw.sqlite3_bind_int64(statement, 3, s.MinTimestampMs);
                raw.sqlite3_bind_int64(statement, 4, s.MaxTimestampMs);
                raw.sqlite3_bind_int(statement, 5, s.Count);
                raw.sqlite3_bind_int(statement, 6, PredictionLogSegment.Format);
                raw.sqlite3_bind_text(statement, 7, entries.Slice(s.Offset, s.Length));
                var rc = raw.sqlite3_step(statement);
                if (rc != raw.SQLITE_DONE)
                {
                    Check(rc, db);
                }

                raw.sqlite3_reset(statement);
            }
        }
    }

    private static void Check(int rc, sqlite3 db)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, db);
        }
    }
}
