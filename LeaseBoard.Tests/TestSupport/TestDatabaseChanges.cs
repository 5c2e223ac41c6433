using LeaseBoard.Domain;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>Changes that other parts of the app (lease engine, admin page) make, done directly for a test.</summary>
public static class TestDatabaseChanges
{
    public static async Task SetStateAsync(this TestDatabase database, int reservationId, ReservationState state)
    {
        await using var db = database.CreateDbContext();
        var changed = await db.Reservations.Where(r => r.Id == reservationId)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.State, state).SetProperty(r => r.Version, Guid.NewGuid()));
        Assert.Equal(1, changed);
    }

    public static async Task SetEnvironmentStateAsync(this TestDatabase database, int environmentId, EnvironmentState state, string? reason = null)
    {
        await using var db = database.CreateDbContext();
        var changed = await db.Environments.Where(e => e.Id == environmentId)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.State, state).SetProperty(e => e.QuarantineReason, reason)
                .SetProperty(e => e.Version, Guid.NewGuid()));
        Assert.Equal(1, changed);
    }

    public static async Task<Reservation> ReservationAsync(this TestDatabase database, int reservationId)
    {
        await using var db = database.CreateDbContext();
        return await db.Reservations.AsNoTracking().SingleAsync(r => r.Id == reservationId);
    }

    public static async Task<List<Reservation>> LiveReservationsAsync(this TestDatabase database)
    {
        await using var db = database.CreateDbContext();
        return await db.Reservations.AsNoTracking().Where(r => ReservationStates.Live.Contains(r.State))
            .OrderBy(r => r.EnvironmentId).ThenBy(r => r.StartUtc).ToListAsync();
    }
}
