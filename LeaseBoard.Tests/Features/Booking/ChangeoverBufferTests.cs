using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>The 10-minute changeover after every reservation belongs to it: a slot that reaches into it collides.</summary>
public sealed class ChangeoverBufferTests
{
    [Fact]
    public async Task Booking_inside_the_changeover_after_a_reservation_returns_a_conflict()
    {
        await using var h = await BookingHarness.CreateAsync();
        var first = await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1));

        var result = await h.BookAsync(2, h.At(15, 5), TimeSpan.FromHours(1), TestActors.Ben);

        Assert.Equal(BookingOutcome.Conflict, result.Outcome);
        Assert.Equal(first.Reservation!.Id, result.Conflict!.ReservationId);
        Assert.Contains("with a 10 minutes changeover after it", result.Message);
    }

    [Fact]
    public async Task Booking_exactly_at_the_end_of_the_changeover_succeeds()
    {
        await using var h = await BookingHarness.CreateAsync();
        await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1));

        var result = await h.BookAsync(2, h.At(15, 10), TimeSpan.FromHours(1), TestActors.Ben);

        Assert.Equal(BookingOutcome.Booked, result.Outcome);
    }

    [Fact]
    public async Task Booking_a_slot_whose_own_changeover_reaches_into_the_next_reservation_returns_a_conflict()
    {
        await using var h = await BookingHarness.CreateAsync();
        var later = await h.BookAsync(2, h.At(15), TimeSpan.FromHours(1));

        // 13:55–14:55 plus ten minutes of cleanup runs until 15:05, past the later start.
        var result = await h.BookAsync(2, h.At(13, 55), TimeSpan.FromHours(1), TestActors.Ben);

        Assert.Equal(BookingOutcome.Conflict, result.Outcome);
        Assert.Equal(later.Reservation!.Id, result.Conflict!.ReservationId);
    }

    [Fact]
    public async Task Booking_a_slot_that_ends_a_changeover_before_the_next_reservation_succeeds()
    {
        await using var h = await BookingHarness.CreateAsync();
        await h.BookAsync(2, h.At(15), TimeSpan.FromHours(1));

        var result = await h.BookAsync(2, h.At(13, 50), TimeSpan.FromHours(1), TestActors.Ben);

        Assert.Equal(BookingOutcome.Booked, result.Outcome);
    }

    [Fact]
    public async Task Booking_the_gap_between_two_reservations_needs_room_for_both_changeovers()
    {
        await using var h = await BookingHarness.CreateAsync();
        await h.BookAsync(2, h.At(12), TimeSpan.FromHours(1));
        await h.BookAsync(2, h.At(14, 20), TimeSpan.FromHours(1));

        var tooLong = await h.BookAsync(2, h.At(13, 10), TimeSpan.FromMinutes(65), TestActors.Ben);
        var fits = await h.BookAsync(2, h.At(13, 10), TimeSpan.FromHours(1), TestActors.Ben);

        Assert.Equal(BookingOutcome.Conflict, tooLong.Outcome);
        Assert.Equal(BookingOutcome.Booked, fits.Outcome);
    }

    [Fact]
    public async Task A_configured_buffer_of_zero_lets_reservations_touch()
    {
        await using var h = await BookingHarness.CreateAsync(options: new BookingOptions { ChangeoverBuffer = TimeSpan.Zero });
        await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1));

        var touching = await h.BookAsync(2, h.At(15), TimeSpan.FromHours(1), TestActors.Ben);
        var overlapping = await h.BookAsync(2, h.At(13, 5), TimeSpan.FromHours(1), TestActors.Ben);

        Assert.Equal(BookingOutcome.Booked, touching.Outcome);
        Assert.Equal(BookingOutcome.Conflict, overlapping.Outcome);
    }

    [Theory]
    [InlineData(ReservationState.Completed, true)]
    [InlineData(ReservationState.Failed, true)]
    [InlineData(ReservationState.TimedOut, true)]
    [InlineData(ReservationState.Cancelled, true)]
    [InlineData(ReservationState.ForceReleased, true)]
    [InlineData(ReservationState.Scheduled, false)]
    [InlineData(ReservationState.Active, false)]
    [InlineData(ReservationState.Releasing, false)]
    public async Task Only_live_reservations_hold_their_slot(ReservationState state, bool slotIsFree)
    {
        await using var h = await BookingHarness.CreateAsync();
        await new ReservationBuilder(h.Env(2).Id, h.At(9), h.At(10)).OwnedBy(TestActors.Ben).InState(state).SaveAsync(h.Database);

        var result = await h.BookAsync(2, h.At(9, 30), TimeSpan.FromHours(1));

        Assert.Equal(slotIsFree ? BookingOutcome.Booked : BookingOutcome.Conflict, result.Outcome);
    }
}
