using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>
/// Issue 15: while SQLite's one writer is taken, a booking on time already taken is refused from a plain read instead
/// of queueing for the writer — and a booking on free time, or a retry of a committed one, is not refused by it.
/// </summary>
public sealed class ContendedGuardTests
{
    private static async Task<(BookingHarness Harness, BookingService Service, WriteTurns Turns)> ServiceAsync()
    {
        var h = await BookingHarness.CreateAsync();
        var turns = new WriteTurns();
        var monitor = new StaticOptionsMonitor<BookingOptions>(h.Options);
        return (h, new BookingService(h.Database, monitor, new SlotGuard(h.Database, monitor, h.Clock, turns), h.Clock, h.FollowUps, h.Telemetry,
            NullLogger<BookingService>.Instance), turns);
    }

    private static BookingRequest Request(BookingHarness h, int env, DateTime start, string? key = null) =>
        new(h.Env(env).Id, start, TimeSpan.FromHours(1), "Soak", TestKind.Load, "", IdempotencyKey: key);

    [Fact]
    public async Task A_booking_on_taken_time_is_refused_while_another_writer_holds_the_turn_and_one_on_free_time_waits_for_it()
    {
        var (h, service, turns) = await ServiceAsync();
        await using var _ = h;
        Assert.True((await service.BookAsync(Request(h, 1, h.At(14)), TestActors.Ana)).Succeeded);

        await using var db = await h.Database.CreateDbContextAsync();
        var held = await turns.TakeAsync(db, CancellationToken.None); // another booking is writing
        var free = service.BookAsync(Request(h, 2, h.At(14)), TestActors.Ben);

        var refused = await service.BookAsync(Request(h, 1, h.At(14, 30)), TestActors.Ben).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(BookingOutcome.Conflict, refused.Outcome);
        Assert.Contains("Ana", refused.Message);
        Assert.False(free.IsCompleted, "a booking on free time waits for the writer: only the check under the lock may say yes");

        held!.Dispose();
        Assert.True((await free.WaitAsync(TimeSpan.FromSeconds(30))).Succeeded);
        await using var check = await h.Database.CreateDbContextAsync();
        Assert.Equal(2, await check.Reservations.CountAsync());
    }

    [Fact]
    public async Task A_retry_of_a_committed_booking_reaching_the_guard_while_the_turn_is_held_is_a_duplicate_key_not_a_conflict_with_itself()
    {
        var (h, service, turns) = await ServiceAsync();
        await using var _ = h;
        var first = await service.BookAsync(Request(h, 1, h.At(14), key: "k-1"), TestActors.Ana);
        Assert.True(first.Succeeded);
        var monitor = new StaticOptionsMonitor<BookingOptions>(h.Options);
        var guard = new SlotGuard(h.Database, monitor, h.Clock, turns);

        await using var db = await h.Database.CreateDbContextAsync();
        using var held = await turns.TakeAsync(db, CancellationToken.None);
        // A retry that passed the booking service's early key lookup before the first request committed.
        var claim = SlotClaim.Reservation(h.Env(1).Id, h.At(14), h.At(15), TestActors.Ana) with { IdempotencyKey = "k-1" };
        var outcome = await guard.RunAsync(claim, _ => throw new InvalidOperationException("nothing may be written"), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(outcome.DuplicateKey, $"conflict with {outcome.Conflict?.ReservationId}");
        Assert.Null(outcome.Conflict);
    }
}
