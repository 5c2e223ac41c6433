using System.Data.Common;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// The independent witness of the overlap guard: plain SQL, written per provider and not through the
/// app's LINQ, that lists every pair of live reservations on one environment whose slots collide
/// once the changeover buffer is added after each of them.
/// </summary>
public static class OverlapCheck
{
    private static string LiveStates => string.Join(", ", ReservationStates.Live.Select(s => $"'{s}'"));

    public static string Sql(DatabaseProvider provider, TimeSpan buffer)
    {
        if (buffer.Ticks % TimeSpan.TicksPerMinute != 0)
            throw new ArgumentException("The changeover buffer is a whole number of minutes (it lies on the booking grid).", nameof(buffer));
        var minutes = (long)buffer.TotalMinutes;
        return provider switch
        {
            // EF stores SQLite instants as 'yyyy-MM-dd HH:mm:ss[.fffffff]' text; datetime() normalises both sides.
            DatabaseProvider.Sqlite => $"""
                SELECT a.Id, b.Id
                FROM Reservations AS a
                JOIN Reservations AS b ON b.EnvironmentId = a.EnvironmentId AND b.Id > a.Id
                WHERE a.State IN ({LiveStates}) AND b.State IN ({LiveStates})
                  AND datetime(a.StartUtc) < datetime(b.EndUtc, '+{minutes} minutes')
                  AND datetime(b.StartUtc) < datetime(a.EndUtc, '+{minutes} minutes')
                ORDER BY a.Id, b.Id;
                """,
            DatabaseProvider.SqlServer => $"""
                SELECT a.Id, b.Id
                FROM dbo.Reservations AS a
                INNER JOIN dbo.Reservations AS b ON b.EnvironmentId = a.EnvironmentId AND b.Id > a.Id
                WHERE a.State IN ({LiveStates}) AND b.State IN ({LiveStates})
                  AND a.StartUtc < DATEADD(minute, {minutes}, b.EndUtc)
                  AND b.StartUtc < DATEADD(minute, {minutes}, a.EndUtc)
                ORDER BY a.Id, b.Id;
                """,
            _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, null),
        };
    }

    public static async Task<List<(int First, int Second)>> FindOverlappingPairsAsync(TestDatabase database, TimeSpan buffer)
    {
        await using var db = database.CreateDbContext();
        return await FindOverlappingPairsAsync(db, buffer);
    }

    public static async Task<List<(int First, int Second)>> FindOverlappingPairsAsync(LeaseBoardDb db, TimeSpan buffer)
    {
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using DbCommand command = connection.CreateCommand();
        command.CommandText = Sql(db.Provider, buffer);
        var pairs = new List<(int, int)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            pairs.Add((reader.GetInt32(0), reader.GetInt32(1)));
        return pairs;
    }
}
