using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Features.Booking;

public sealed class BookingServiceTests
{
    [Fact]
    public async Task Booking_a_free_slot_stores_it_with_the_server_side_owner_and_an_audit_entry()
    {
        await using var h = await BookingHarness.CreateAsync();

        var result = await h.BookAsync(2, h.At(14), TimeSpan.FromMinutes(90));

        Assert.Equal(BookingOutcome.Booked, result.Outcome);
        var stored = await h.Queries.ByIdAsync(result.Reservation!.Id);
        Assert.NotNull(stored);
        Assert.Equal(("env-2", "local:ana", ReservationState.Scheduled), (stored.EnvironmentKey, stored.OwnerId, stored.State));
        Assert.Equal(h.At(15, 30), stored.EndUtc);
        await using var db = h.Database.CreateDbContext();
        Assert.Single(db.AuditEntries.Where(a => a.ReservationId == stored.Id && a.Action == AuditActions.ReservationBooked));
    }

    [Fact]
    public async Task Booking_an_overlapping_slot_returns_a_conflict_with_the_next_free_slot()
    {
        await using var h = await BookingHarness.CreateAsync();
        await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1));

        var result = await h.BookAsync(2, h.At(14, 30), TimeSpan.FromHours(1), TestActors.Ben);

        Assert.Equal(BookingOutcome.Conflict, result.Outcome);
        Assert.Equal(h.At(14), result.Conflict!.Slot.StartUtc);
        // Same time on another environment is the earliest thing that works.
        Assert.Equal((h.At(14, 30), "env-1"), (result.Suggestion!.StartUtc, result.Suggestion.EnvironmentKey));
    }
}
