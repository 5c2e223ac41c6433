using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Leases;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.Features.Leases;

/// <summary>The whole lease lifecycle on the real Hangfire server of the shared app host (in-memory storage, 1 s polling).</summary>
[Collection(SharedAppCollection.Name)]
public sealed class HangfireLeaseTests(SharedAppFixture app)
{
    [Fact]
    public async Task A_slot_a_few_seconds_ahead_starts_on_the_real_job_server_runs_completes_and_hands_the_environment_back()
    {
        var dbs = app.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>();
        var scheduler = app.Services.GetRequiredService<LeaseScheduler>();
        var clock = app.Services.GetRequiredService<TimeProvider>();
        int environmentId;
        await using (var db = await dbs.CreateDbContextAsync())
            environmentId = await db.Environments.Where(e => e.Key == "env-5").Select(e => e.Id).SingleAsync();

        // Seconds, not the booking grid: the slot is written directly and handed to the same scheduler a booking uses.
        var now = clock.GetUtcNow().UtcDateTime;
        var start = now.AddSeconds(3);
        var reservation = new ReservationBuilder(environmentId, start, start.AddMinutes(2)).Titled("Hangfire end to end").Build();
        reservation.TestSpec = "duration=0.1"; // a six-second simulated test
        await using (var db = await dbs.CreateDbContextAsync())
        {
            db.Reservations.Add(reservation);
            await db.SaveChangesAsync();
        }
        await scheduler.ReservationChangedAsync(reservation, CancellationToken.None);

        var started = await Eventually.MatchesAsync(() => Load(dbs, reservation.Id), r => r.Runs.Count > 0, TimeSpan.FromSeconds(15), "the start job ran");
        var lateness = started.Runs.Single().StartedUtc - start;
        Assert.True(lateness < TimeSpan.FromSeconds(5), $"started {lateness.TotalSeconds:0.00} s after the slot");

        var ended = await Eventually.MatchesAsync(() => Load(dbs, reservation.Id), r => r.State == ReservationState.Completed, TimeSpan.FromSeconds(60),
            "the run completed (supervise polls it)");
        Assert.Equal(TestRunState.Succeeded, ended.Runs.Single().State);
        await Eventually.MatchesAsync(async () =>
        {
            await using var db = await dbs.CreateDbContextAsync();
            return await db.Environments.AsNoTracking().SingleAsync(e => e.Id == environmentId);
        }, e => e.State == EnvironmentState.Available, TimeSpan.FromSeconds(15), "the cleanup job handed the environment back");
    }

    private static async Task<Reservation> Load(IDbContextFactory<LeaseBoardDb> dbs, int id)
    {
        await using var db = await dbs.CreateDbContextAsync();
        return await db.Reservations.AsNoTracking().Include(r => r.Runs).SingleAsync(r => r.Id == id);
    }
}
