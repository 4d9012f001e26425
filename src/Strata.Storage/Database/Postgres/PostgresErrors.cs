using Npgsql;

namespace Strata.Storage.Database.Postgres;

/// <summary>Finds the server error behind an exception that a store or Dapper may have wrapped.</summary>
internal static class PostgresErrors
{
    public static PostgresException? Find(Exception? ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is PostgresException pe)
            {
                return pe;
            }
        }

        return null;
    }

    /// <summary>
    /// Errors after which re-running the whole transaction can succeed: the server rolled it back
    /// because of a conflict with another transaction, not because of anything in it.
    /// </summary>
    public static bool IsRetryableConflict(Exception ex) =>
        Find(ex)?.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected;
}
