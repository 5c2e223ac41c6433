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
        var validating = tokens.ValidateAsync(created.Token);
        Assert.False(validating.IsCompleted, "the last-use write went past a held turn");

        held!.Dispose();
        Assert.NotNull(await validating.WaitAsync(TimeSpan.FromSeconds(30)));
        await using var check = await h.Database.CreateDbContextAsync();
        Assert.NotNull((await check.ApiTokens.SingleAsync()).LastUsedUtc);
    }

    private static async Task<bool> JobIdsWritten(BookingHarness h)
    {
        await using var db = await h.Database.CreateDbContextAsync();
        return await db.Reservations.AnyAsync(r => r.StartJobId != null);
    }
}
