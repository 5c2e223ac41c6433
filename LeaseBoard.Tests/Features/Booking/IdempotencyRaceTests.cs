using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>
/// Issue 13 point 7: a retry that passed the early key lookup while the first request still held the
/// guard must still be answered with the first request's booking, not a conflict against it.
/// </summary>
public sealed class IdempotencyRaceTests
{
    /// <summary>Lets the first request commit at the moment the retry enters the guard: the race made deterministic.</summary>
    private sealed class FirstCommitsWhenRetryEntersGuard(IDbContextFactory<LeaseBoardDb> inner, Func<Task> firstRequest) : IDbContextFactory<LeaseBoardDb>
    {
        private int _entered;

        public LeaseBoardDb CreateDbContext() => inner.CreateDbContext();

        public async Task<LeaseBoardDb> CreateDbContextAsync(CancellationToken ct = default)
        {
            if (Interlocked.Exchange(ref _entered, 1) == 0) await firstRequest();
            return await inner.CreateDbContextAsync(ct);
        }
    }

    [Fact]
    public async Task A_retry_that_reaches_the_guard_after_the_first_request_committed_gets_the_first_booking_not_a_conflict()
    {
        await using var h = await BookingHarness.CreateAsync(environments: 1);
        var request = new BookingRequest(h.Env(1).Id, h.At(14), TimeSpan.FromHours(1), "Soak", TestKind.Load, "users=10", IdempotencyKey: "retry-1");
        BookingResult? first = null;
        var monitor = new StaticOptionsMonitor<BookingOptions>(h.Options);
        var guard = new SlotGuard(new FirstCommitsWhenRetryEntersGuard(h.Database, async () => first = await h.Service.BookAsync(request, TestActors.Ana)),
            monitor, h.Clock, new WriteTurns()); // its own turns: the first booking runs inside this guard's turn
        var retrying = new BookingService(h.Database, monitor, guard, h.Clock, h.FollowUps, h.Telemetry, NullLogger<BookingService>.Instance);

        var retry = await retrying.BookAsync(request, TestActors.Ana);

        Assert.Equal(BookingOutcome.Booked, first!.Outcome);
        Assert.Equal(BookingOutcome.Booked, retry.Outcome);
        Assert.True(retry.Replayed);
        Assert.Equal(first.Reservation!.Id, retry.Reservation!.Id);
        await using var db = await h.Database.CreateDbContextAsync();
        Assert.Equal(1, await db.Reservations.CountAsync(r => r.IdempotencyKey == "retry-1"));
    }
}
