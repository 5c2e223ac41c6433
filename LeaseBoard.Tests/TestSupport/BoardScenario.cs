using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Leases;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>Changes the board of a running host through its own services, as the lease engine and admins do.</summary>
public static class BoardScenario
{
    public static async Task<int> EnvironmentIdAsync(IServiceProvider services, string key)
    {
        var dbs = services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>();
        await using var db = await dbs.CreateDbContextAsync();
        return await db.Environments.Where(e => e.Key == key).Select(e => e.Id).SingleAsync();
    }

    /// <summary>Writes a slot starting now on <paramref name="environmentKey"/> (past the booking grid) and returns its id.</summary>
    public static async Task<int> ScheduleNowAsync(IServiceProvider services, string environmentKey, string title, TimeSpan? duration = null, Actor? owner = null)
    {
        var environmentId = await EnvironmentIdAsync(services, environmentKey);
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var reservation = new ReservationBuilder(environmentId, now, now + (duration ?? TimeSpan.FromMinutes(30)))
            .Titled(title).OwnedBy(owner ?? TestActors.Ana).Build();
        var dbs = services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>();
        await using var db = await dbs.CreateDbContextAsync();
        db.Reservations.Add(reservation);
        await db.SaveChangesAsync();
        return reservation.Id;
    }

    /// <summary>Schedules a slot starting now and starts its lease with the engine, as the start job would.</summary>
    public static async Task<int> StartLeaseNowAsync(IServiceProvider services, string environmentKey, string title, TimeSpan? duration = null, Actor? owner = null)
    {
        var reservationId = await ScheduleNowAsync(services, environmentKey, title, duration, owner);
        await services.GetRequiredService<LeaseEngine>().StartLeaseAsync(reservationId, CancellationToken.None);
        return reservationId;
    }

    public static async Task QuarantineAsync(IServiceProvider services, string environmentKey, string reason)
    {
        var environmentId = await EnvironmentIdAsync(services, environmentKey);
        var done = await services.GetRequiredService<EnvironmentCare>().QuarantineAsync(environmentId, reason, new Actor("admin:test", "Test admin", IsAdmin: true), CancellationToken.None);
        Assert.True(done is not null, $"{environmentKey} was quarantined");
    }
}
