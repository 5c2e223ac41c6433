using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>The overlap guard on each provider. The SQL Server variants run when LEASEBOARD_TEST_SQLSERVER is set.</summary>
public sealed class OverlapGuardTests
{
    [SkippableTheory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public async Task Booking_an_overlapping_slot_is_refused_and_nothing_is_stored(DatabaseProvider provider)
    {
        await using var h = await BookingHarness.CreateAsync(provider);
        var first = await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1));

        var overlapping = await h.BookAsync(2, h.At(14, 30), TimeSpan.FromHours(1), TestActors.Ben);
        var inBuffer = await h.BookAsync(2, h.At(15, 5), TimeSpan.FromHours(1), TestActors.Ben);

        Assert.Equal(BookingOutcome.Booked, first.Outcome);
        Assert.Equal(BookingOutcome.Conflict, overlapping.Outcome);
        Assert.Equal(BookingOutcome.Conflict, inBuffer.Outcome);
        Assert.Equal(first.Reservation!.Id, overlapping.Conflict!.ReservationId);
        Assert.Equal(new[] { first.Reservation.Id }, (await h.Database.LiveReservationsAsync()).Select(r => r.Id));
        Assert.Empty(await OverlapCheck.FindOverlappingPairsAsync(h.Database, h.Options.ChangeoverBuffer));
    }

    [SkippableTheory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public async Task Booking_exactly_after_the_changeover_succeeds(DatabaseProvider provider)
    {
        await using var h = await BookingHarness.CreateAsync(provider);
        await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1));

        var after = await h.BookAsync(2, h.At(15, 10), TimeSpan.FromHours(1), TestActors.Ben);
        var before = await h.BookAsync(2, h.At(12, 50), TimeSpan.FromHours(1), TestActors.Ben);

        Assert.Equal((BookingOutcome.Booked, BookingOutcome.Booked), (after.Outcome, before.Outcome));
        Assert.Empty(await OverlapCheck.FindOverlappingPairsAsync(h.Database, h.Options.ChangeoverBuffer));
    }

    [SkippableTheory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public async Task Cancelling_frees_the_slot(DatabaseProvider provider)
    {
        await using var h = await BookingHarness.CreateAsync(provider);
        var booked = await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1));
        Assert.Equal(BookingOutcome.Conflict, (await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1), TestActors.Ben)).Outcome);

        await h.Service.CancelAsync(booked.Reservation!.Id, TestActors.Ana);
        var rebooked = await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1), TestActors.Ben);

        Assert.Equal(BookingOutcome.Booked, rebooked.Outcome);
        Assert.Equal(ReservationState.Cancelled, (await h.Database.ReservationAsync(booked.Reservation.Id)).State);
    }

    [SkippableTheory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public async Task Moving_onto_another_reservation_is_refused_and_moving_onto_its_own_slot_is_not(DatabaseProvider provider)
    {
        await using var h = await BookingHarness.CreateAsync(provider);
        var mine = await h.BookAsync(2, h.At(10), TimeSpan.FromHours(1));
        await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1), TestActors.Ben);

        var onto = await h.Service.MoveAsync(mine.Reservation!.Id, h.Env(2).Id, h.At(14, 30), h.At(15, 30), TestActors.Ana);
        var self = await h.Service.MoveAsync(mine.Reservation.Id, h.Env(2).Id, h.At(10, 30), h.At(11, 30), TestActors.Ana);

        Assert.Equal((BookingOutcome.Conflict, BookingOutcome.Moved), (onto.Outcome, self.Outcome));
        Assert.Empty(await OverlapCheck.FindOverlappingPairsAsync(h.Database, h.Options.ChangeoverBuffer));
    }
}
