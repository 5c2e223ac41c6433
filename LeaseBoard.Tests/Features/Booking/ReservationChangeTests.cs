using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>Moving, resizing, cancelling and releasing: who may do it, and what the slot guard allows.</summary>
public sealed class ReservationChangeTests
{
    [Fact]
    public async Task Moving_to_a_free_slot_updates_the_reservation_and_writes_an_audit_entry()
    {
        await using var h = await BookingHarness.CreateAsync();
        var booked = await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1));

        var result = await h.Service.MoveAsync(booked.Reservation!.Id, h.Env(2).Id, h.At(16), h.At(17, 30), TestActors.Ana);

        Assert.Equal(BookingOutcome.Moved, result.Outcome);
        var stored = await h.Database.ReservationAsync(booked.Reservation.Id);
        Assert.Equal((h.At(16), h.At(17, 30)), (stored.StartUtc, stored.EndUtc));
        await using var db = h.Database.CreateDbContext();
        Assert.Single(db.AuditEntries.Where(a => a.ReservationId == stored.Id && a.Action == AuditActions.ReservationMoved));
    }

    [Fact]
    public async Task Moving_onto_its_own_old_slot_is_allowed()
    {
        await using var h = await BookingHarness.CreateAsync();
        var booked = await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1));

        var result = await h.Service.MoveAsync(booked.Reservation!.Id, h.Env(2).Id, h.At(14), h.At(15), TestActors.Ana);

        Assert.Equal(BookingOutcome.Moved, result.Outcome);
    }

    [Fact]
    public async Task Moving_so_that_it_partly_overlaps_its_own_old_slot_is_allowed()
    {
        await using var h = await BookingHarness.CreateAsync();
        var booked = await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1));

        var later = await h.Service.MoveAsync(booked.Reservation!.Id, h.Env(2).Id, h.At(14, 30), h.At(15, 30), TestActors.Ana);
        var longer = await h.Service.MoveAsync(booked.Reservation.Id, h.Env(2).Id, h.At(14, 30), h.At(16, 30), TestActors.Ana);

        Assert.Equal(BookingOutcome.Moved, later.Outcome);
        Assert.Equal(BookingOutcome.Moved, longer.Outcome);
        Assert.Equal(h.At(16, 30), (await h.Database.ReservationAsync(booked.Reservation.Id)).EndUtc);
    }

    [Fact]
    public async Task Moving_onto_another_reservation_is_refused_with_a_suggestion_and_leaves_both_unchanged()
    {
        await using var h = await BookingHarness.CreateAsync();
        var mine = await h.BookAsync(2, h.At(10), TimeSpan.FromHours(1));
        var bens = await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1), TestActors.Ben);

        var result = await h.Service.MoveAsync(mine.Reservation!.Id, h.Env(2).Id, h.At(14, 30), h.At(15, 30), TestActors.Ana);

        Assert.Equal(BookingOutcome.Conflict, result.Outcome);
        Assert.Equal(bens.Reservation!.Id, result.Conflict!.ReservationId);
        Assert.StartsWith("Env 2 is taken", result.Message);
        // Next free hour on env 2 from 14:30, ignoring the moved reservation itself: after Ben's slot and its changeover.
        Assert.Equal((h.Env(2).Id, h.At(15, 10)), (result.Suggestion!.EnvironmentId, result.Suggestion.StartUtc));
        Assert.Equal(h.At(10), (await h.Database.ReservationAsync(mine.Reservation.Id)).StartUtc);
        Assert.Equal(h.At(14), (await h.Database.ReservationAsync(bens.Reservation.Id)).StartUtc);
    }

    [Fact]
    public async Task Resizing_into_the_changeover_of_the_next_reservation_is_refused()
    {
        await using var h = await BookingHarness.CreateAsync();
        var mine = await h.BookAsync(2, h.At(12), TimeSpan.FromHours(1));
        await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1), TestActors.Ben);

        var result = await h.Service.MoveAsync(mine.Reservation!.Id, h.Env(2).Id, h.At(12), h.At(13, 55), TestActors.Ana);

        Assert.Equal(BookingOutcome.Conflict, result.Outcome);
        Assert.Equal(h.At(13), (await h.Database.ReservationAsync(mine.Reservation.Id)).EndUtc);
    }

    [Fact]
    public async Task Moving_to_another_environment_frees_the_old_slot()
    {
        await using var h = await BookingHarness.CreateAsync();
        var booked = await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1));

        var result = await h.Service.MoveAsync(booked.Reservation!.Id, h.Env(4).Id, h.At(14), h.At(15), TestActors.Ana);
        var oldSlot = await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1), TestActors.Ben);

        Assert.Equal(BookingOutcome.Moved, result.Outcome);
        Assert.Equal(h.Env(4).Id, (await h.Database.ReservationAsync(booked.Reservation.Id)).EnvironmentId);
        Assert.Equal(BookingOutcome.Booked, oldSlot.Outcome);
    }

    [Fact]
    public async Task Moving_to_a_quarantined_environment_is_refused()
    {
        await using var h = await BookingHarness.CreateAsync();
        var booked = await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1));
        await h.Database.SetEnvironmentStateAsync(h.Env(4).Id, EnvironmentState.Quarantined, "unhealthy");

        var result = await h.Service.MoveAsync(booked.Reservation!.Id, h.Env(4).Id, h.At(14), h.At(15), TestActors.Ana);

        Assert.Equal(BookingOutcome.Invalid, result.Outcome);
        Assert.Contains("quarantined", result.Message);
        Assert.Equal(h.Env(2).Id, (await h.Database.ReservationAsync(booked.Reservation.Id)).EnvironmentId);
    }

    [Fact]
    public async Task Moving_into_the_past_or_off_the_grid_is_refused_by_the_same_rules_as_booking()
    {
        await using var h = await BookingHarness.CreateAsync();
        var booked = await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1));

        var past = await h.Service.MoveAsync(booked.Reservation!.Id, h.Env(2).Id, h.At(8), h.At(9), TestActors.Ana);
        var offGrid = await h.Service.MoveAsync(booked.Reservation.Id, h.Env(2).Id, h.At(14, 2), h.At(15), TestActors.Ana);
        var tooLong = await h.Service.MoveAsync(booked.Reservation.Id, h.Env(2).Id, h.At(14), h.At(17, 30), TestActors.Ana);

        Assert.All([past, offGrid, tooLong], r => Assert.Equal(BookingOutcome.Invalid, r.Outcome));
    }

    [Fact]
    public async Task Someone_else_may_not_move_cancel_or_release_a_reservation()
    {
        await using var h = await BookingHarness.CreateAsync();
        var scheduled = await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1));
        var running = await new ReservationBuilder(h.Env(3).Id, h.At(9), h.At(10)).InState(ReservationState.Active).SaveAsync(h.Database);

        var move = await h.Service.MoveAsync(scheduled.Reservation!.Id, h.Env(2).Id, h.At(16), h.At(17), TestActors.Ben);
        var cancel = await h.Service.CancelAsync(scheduled.Reservation.Id, TestActors.Ben);
        var release = await h.Service.ReleaseAsync(running.Id, TestActors.Ben);

        Assert.All([move, cancel, release], r => Assert.Equal(BookingOutcome.Forbidden, r.Outcome));
        Assert.Equal((ReservationState.Scheduled, h.At(14)),
            ((await h.Database.ReservationAsync(scheduled.Reservation.Id)).State, (await h.Database.ReservationAsync(scheduled.Reservation.Id)).StartUtc));
        Assert.Equal(ReservationState.Active, (await h.Database.ReservationAsync(running.Id)).State);
    }

    [Fact]
    public async Task An_admin_may_move_cancel_and_release_someone_elses_reservation()
    {
        await using var h = await BookingHarness.CreateAsync();
        var toMove = await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1));
        var toCancel = await h.BookAsync(3, h.At(14), TimeSpan.FromHours(1));
        var running = await new ReservationBuilder(h.Env(4).Id, h.At(9), h.At(10)).InState(ReservationState.Active).SaveAsync(h.Database);

        var move = await h.Service.MoveAsync(toMove.Reservation!.Id, h.Env(2).Id, h.At(16), h.At(17), TestActors.Admin);
        var cancel = await h.Service.CancelAsync(toCancel.Reservation!.Id, TestActors.Admin);
        var release = await h.Service.ReleaseAsync(running.Id, TestActors.Admin);

        Assert.Equal([BookingOutcome.Moved, BookingOutcome.Cancelled, BookingOutcome.Released], new[] { move, cancel, release }.Select(r => r.Outcome));
        Assert.Equal(ReservationState.Cancelled, (await h.Database.ReservationAsync(toCancel.Reservation.Id)).State);
        Assert.Equal(ReservationState.Releasing, (await h.Database.ReservationAsync(running.Id)).State);
    }

    [Fact]
    public async Task Cancelling_frees_the_slot_for_someone_else_and_is_audited()
    {
        await using var h = await BookingHarness.CreateAsync();
        var booked = await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1));

        var cancel = await h.Service.CancelAsync(booked.Reservation!.Id, TestActors.Ana);
        var rebooked = await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1), TestActors.Ben);

        Assert.Equal(BookingOutcome.Cancelled, cancel.Outcome);
        Assert.Equal(BookingOutcome.Booked, rebooked.Outcome);
        var stored = await h.Database.ReservationAsync(booked.Reservation.Id);
        Assert.Equal((ReservationState.Cancelled, "Cancelled by Ana."), (stored.State, stored.Outcome));
        await using var db = h.Database.CreateDbContext();
        Assert.Single(db.AuditEntries.Where(a => a.ReservationId == stored.Id && a.Action == AuditActions.ReservationCancelled));
    }

    [Fact]
    public async Task Only_a_scheduled_reservation_can_be_cancelled_and_only_a_running_one_released()
    {
        await using var h = await BookingHarness.CreateAsync();
        var scheduled = await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1));
        var running = await new ReservationBuilder(h.Env(3).Id, h.At(9), h.At(10)).InState(ReservationState.Active).SaveAsync(h.Database);

        var cancelRunning = await h.Service.CancelAsync(running.Id, TestActors.Ana);
        var releaseScheduled = await h.Service.ReleaseAsync(scheduled.Reservation!.Id, TestActors.Ana);
        await h.Service.CancelAsync(scheduled.Reservation.Id, TestActors.Ana);
        var cancelAgain = await h.Service.CancelAsync(scheduled.Reservation.Id, TestActors.Ana);

        Assert.Equal((BookingOutcome.Invalid, "Only a scheduled reservation can be cancelled; this one is active."), (cancelRunning.Outcome, cancelRunning.Message));
        Assert.Equal((BookingOutcome.Invalid, "Only a running reservation can be released; this one is scheduled."), (releaseScheduled.Outcome, releaseScheduled.Message));
        Assert.Equal(BookingOutcome.Invalid, cancelAgain.Outcome);
    }

    [Fact]
    public async Task Releasing_a_running_reservation_ends_it_early_but_it_holds_its_slot_until_cleaned_up()
    {
        await using var h = await BookingHarness.CreateAsync();
        var running = await new ReservationBuilder(h.Env(3).Id, h.At(9), h.At(10)).InState(ReservationState.Active).SaveAsync(h.Database);

        var release = await h.Service.ReleaseAsync(running.Id, TestActors.Ana);
        var sameSlot = await h.BookAsync(3, h.At(9, 30), TimeSpan.FromMinutes(30), TestActors.Ben);

        Assert.Equal(BookingOutcome.Released, release.Outcome);
        Assert.Equal(ReservationState.Releasing, (await h.Database.ReservationAsync(running.Id)).State);
        Assert.Equal(BookingOutcome.Conflict, sameSlot.Outcome);
    }

    [Fact]
    public async Task Changing_a_reservation_that_does_not_exist_returns_not_found()
    {
        await using var h = await BookingHarness.CreateAsync();

        var move = await h.Service.MoveAsync(4242, h.Env(1).Id, h.At(14), h.At(15), TestActors.Admin);
        var cancel = await h.Service.CancelAsync(4242, TestActors.Admin);
        var release = await h.Service.ReleaseAsync(4242, TestActors.Admin);

        Assert.All([move, cancel, release], r => Assert.Equal((BookingOutcome.NotFound, "Reservation 4242 does not exist."), (r.Outcome, r.Message)));
    }

    [Theory]
    [InlineData(ReservationState.Completed)]
    [InlineData(ReservationState.Cancelled)]
    [InlineData(ReservationState.Releasing)]
    public async Task A_reservation_that_is_over_can_no_longer_be_moved(ReservationState state)
    {
        await using var h = await BookingHarness.CreateAsync();
        var reservation = await new ReservationBuilder(h.Env(1).Id, h.At(14), h.At(15)).InState(state).SaveAsync(h.Database);

        var result = await h.Service.MoveAsync(reservation.Id, h.Env(1).Id, h.At(16), h.At(17), TestActors.Ana);

        Assert.Equal(BookingOutcome.Invalid, result.Outcome);
        Assert.Equal($"This reservation is {state.ToString().ToLowerInvariant()} and can no longer be changed.", result.Message);
    }
}
