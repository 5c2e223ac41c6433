using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>A running lease keeps its start and its environment: only its end may change.</summary>
public sealed class ActiveReservationTests
{
    private static async Task<Reservation> RunningAsync(BookingHarness h, int environment = 2) =>
        await new ReservationBuilder(h.Env(environment).Id, h.At(8, 30), h.At(10)).InState(ReservationState.Active).SaveAsync(h.Database);

    [Fact]
    public async Task A_running_reservation_can_be_extended()
    {
        await using var h = await BookingHarness.CreateAsync();
        var running = await RunningAsync(h);

        var result = await h.Service.MoveAsync(running.Id, running.EnvironmentId, running.StartUtc, h.At(11), TestActors.Ana);

        Assert.Equal(BookingOutcome.Moved, result.Outcome);
        var stored = await h.Database.ReservationAsync(running.Id);
        Assert.Equal((ReservationState.Active, h.At(11)), (stored.State, stored.EndUtc));
    }

    [Fact]
    public async Task A_running_reservation_cannot_be_moved_to_another_start()
    {
        await using var h = await BookingHarness.CreateAsync();
        var running = await RunningAsync(h);

        var result = await h.Service.MoveAsync(running.Id, running.EnvironmentId, h.At(9), h.At(11), TestActors.Ana);

        Assert.Equal((BookingOutcome.Invalid, "A running reservation can only be extended or shortened, not moved."), (result.Outcome, result.Message));
        Assert.Equal(h.At(8, 30), (await h.Database.ReservationAsync(running.Id)).StartUtc);
    }

    [Fact]
    public async Task A_running_reservation_cannot_be_moved_to_another_environment()
    {
        await using var h = await BookingHarness.CreateAsync();
        var running = await RunningAsync(h);

        var result = await h.Service.MoveAsync(running.Id, h.Env(3).Id, running.StartUtc, running.EndUtc, TestActors.Ana);

        Assert.Equal(BookingOutcome.Invalid, result.Outcome);
        Assert.Equal(h.Env(2).Id, (await h.Database.ReservationAsync(running.Id)).EnvironmentId);
    }

    [Fact]
    public async Task Extending_a_running_reservation_into_the_next_one_is_refused()
    {
        await using var h = await BookingHarness.CreateAsync();
        var running = await RunningAsync(h);
        var next = await h.BookAsync(2, h.At(11), TimeSpan.FromHours(1), TestActors.Ben);

        var result = await h.Service.MoveAsync(running.Id, running.EnvironmentId, running.StartUtc, h.At(10, 55), TestActors.Ana);

        Assert.Equal(BookingOutcome.Conflict, result.Outcome);
        Assert.Equal(next.Reservation!.Id, result.Conflict!.ReservationId);
        Assert.Equal(h.At(10), (await h.Database.ReservationAsync(running.Id)).EndUtc);
    }

    [Fact]
    public async Task Extending_a_running_reservation_beyond_the_maximum_duration_is_refused()
    {
        await using var h = await BookingHarness.CreateAsync();
        var running = await RunningAsync(h);

        var result = await h.Service.MoveAsync(running.Id, running.EnvironmentId, running.StartUtc, h.At(11, 35), TestActors.Ana);

        Assert.Equal(BookingOutcome.Invalid, result.Outcome);
        Assert.Contains("at most 3 hours", result.Message);
    }

    [Fact]
    public async Task A_running_reservation_whose_start_lies_far_back_can_still_be_extended()
    {
        await using var h = await BookingHarness.CreateAsync();
        var running = await RunningAsync(h);
        h.Clock.Advance(TimeSpan.FromMinutes(50)); // 09:52: the start is long past the tolerance.

        var result = await h.Service.MoveAsync(running.Id, running.EnvironmentId, running.StartUtc, h.At(10, 30), TestActors.Ana);

        Assert.Equal(BookingOutcome.Moved, result.Outcome);
    }

    [Fact]
    public async Task A_running_reservation_cannot_be_given_an_end_that_has_already_passed()
    {
        await using var h = await BookingHarness.CreateAsync();
        var running = await RunningAsync(h);
        h.Clock.Advance(TimeSpan.FromMinutes(40)); // 09:42

        var result = await h.Service.MoveAsync(running.Id, running.EnvironmentId, running.StartUtc, h.At(9, 40), TestActors.Ana);

        Assert.Equal((BookingOutcome.Invalid, "The new end lies in the past."), (result.Outcome, result.Message));
    }
}
