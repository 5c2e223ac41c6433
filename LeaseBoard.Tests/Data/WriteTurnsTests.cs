using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Leases;
using LeaseBoard.Features.Tokens;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Tests.Data;

/// <summary>
/// Issue 15: the writers that run alongside every booking — the job ids written after it, a token's "last used" — queue
/// for SQLite's one writer with the bookings (<see cref="WriteTurns"/>). Meeting a booking's transaction at SQLite's lock
/// instead would put one of them into Microsoft.Data.Sqlite's busy sleep: the 160 ms p99 the speed benchmark showed.
/// </summary>
public sealed class WriteTurnsTests
{
    [Fact]
    public async Task The_job_ids_written_after_a_booking_wait_for_the_writer_turn()
    {
        await using var h = await BookingHarness.CreateAsync();
        var booked = await h.BookAsync(1, h.At(14), TimeSpan.FromHours(1));
        var turns = new WriteTurns();
        var scheduler = new LeaseScheduler(h.Database, new ManualLeaseTriggers(h.Clock), h.Clock, turns, new StaticOptionsMonitor<LeaseOptions>(new LeaseOptions()));

        await using var db = await h.Database.CreateDbContextAsync();
        var held = await turns.TakeAsync(db, CancellationToken.None);
        var scheduling = scheduler.ReservationChangedAsync(booked.Reservation!, CancellationToken.None);
        // SQLite's async methods complete synchronously, so the only thing the call can still be waiting on is the turn.
        Assert.False(scheduling.IsCompleted, "the write went past a held turn");
        Assert.False(await JobIdsWritten(h));

        held!.Dispose();
        await scheduling.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(await JobIdsWritten(h));
    }

    [Fact]
    public async Task A_tokens_last_use_is_written_in_turn_with_the_bookings()
    {
        await using var h = await BookingHarness.CreateAsync();
        var turns = new WriteTurns();
        using var tokens = new ApiTokenService(h.Database, h.Clock, h.Events, turns);
        var (created, error) = await tokens.CreateAsync(TestActors.Ana, "ci", ApiScope.Book, 30);
        Assert.True(created is not null, error);

        await using var db = await h.Database.CreateDbContextAsync();
        var held = await turns.TakeAsync(db, CancellationToken.None);
        // The call itself writes nothing: it only notes the use, so it never waits behind a booking.
        Assert.NotNull(await tokens.ValidateAsync(created.Token).WaitAsync(TimeSpan.FromSeconds(30)));
        var writing = tokens.WriteUsesAsync();
        Assert.False(writing.IsCompleted, "the last-use write went past a held turn");

        held!.Dispose();
        Assert.Equal(1, await writing.WaitAsync(TimeSpan.FromSeconds(30)));
        await using var check = await h.Database.CreateDbContextAsync();
        Assert.NotNull((await check.ApiTokens.SingleAsync()).LastUsedUtc);
    }

    [Fact]
    public async Task After_a_restart_the_reconcile_writes_every_new_job_id_in_one_turn()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var booked = new List<int>();
        for (var env = 1; env <= 3; env++) booked.Add((await h.BookAsync(env, h.At(14, daysAhead: 1), TimeSpan.FromHours(1))).Id);
        await h.SettledAsync();
        await h.RestartAsync();
        foreach (var job in h.Jobs.All.Where(j => j.Kind == "start")) h.Jobs.Delete(job.Id); // lost again: the next reconcile makes new ones
        var before = await StartJobIdsAsync(h, booked);

        await using var db = await h.Database.CreateDbContextAsync();
        var held = await h.Turns.TakeAsync(db, CancellationToken.None);
        var reconciling = h.Supervisor.ReconcileAsync(CancellationToken.None);
        Assert.False(reconciling.IsCompleted, "the reconcile's writes went past a held turn");
        Assert.Equal(before, await StartJobIdsAsync(h, booked));

        held!.Dispose();
        await reconciling.WaitAsync(TimeSpan.FromSeconds(30));
        var after = await StartJobIdsAsync(h, booked);
        Assert.All(after, id => Assert.True(id is not null && h.Jobs.IsPending(id), $"start job {id} is not a pending one"));
        Assert.Empty(after.Intersect(before));
    }

    private static async Task<List<string?>> StartJobIdsAsync(LeaseHarness h, List<int> ids)
    {
        await using var db = await h.Database.CreateDbContextAsync();
        return await db.Reservations.Where(r => ids.Contains(r.Id)).OrderBy(r => r.Id).Select(r => r.StartJobId).ToListAsync();
    }

    private static async Task<bool> JobIdsWritten(BookingHarness h)
    {
        await using var db = await h.Database.CreateDbContextAsync();
        return await db.Reservations.AnyAsync(r => r.StartJobId != null);
    }
}
