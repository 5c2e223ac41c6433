using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>Which environment a booking lands on: out-of-service ones are refused, "any" picks one free for the whole slot.</summary>
public sealed class BookingEnvironmentChoiceTests
{
    [Fact]
    public async Task Booking_a_quarantined_environment_is_refused_with_the_reason_and_a_suggestion_elsewhere()
    {
        await using var h = await BookingHarness.CreateAsync();
        await h.Database.SetEnvironmentStateAsync(h.Env(3).Id, EnvironmentState.Quarantined, "disk full");

        var result = await h.BookAsync(3, h.At(14), TimeSpan.FromHours(1));

        Assert.Equal(BookingOutcome.Invalid, result.Outcome);
        Assert.Equal("Env 3 is quarantined (disk full) and cannot be booked.", result.Message);
        Assert.NotNull(result.Suggestion);
        Assert.NotEqual(h.Env(3).Id, result.Suggestion.EnvironmentId);
        Assert.Equal((h.At(14), h.At(15)), (result.Suggestion.StartUtc, result.Suggestion.EndUtc));
        Assert.Empty(await h.Database.LiveReservationsAsync());
    }

    [Fact]
    public async Task Booking_a_retired_environment_is_refused_with_a_suggestion_elsewhere()
    {
        await using var h = await BookingHarness.CreateAsync();
        await h.Database.SetEnvironmentStateAsync(h.Env(1).Id, EnvironmentState.Retired);

        var result = await h.BookAsync(1, h.At(14), TimeSpan.FromHours(1));

        Assert.Equal(BookingOutcome.Invalid, result.Outcome);
        Assert.Equal("Env 1 is retired and cannot be booked.", result.Message);
        Assert.Equal("env-2", result.Suggestion?.EnvironmentKey);
        Assert.Empty(await h.Database.LiveReservationsAsync());
    }

    [Fact]
    public async Task Booking_any_environment_picks_the_first_free_one_in_board_order()
    {
        await using var h = await BookingHarness.CreateAsync();

        var result = await h.BookAsync(null, h.At(14), TimeSpan.FromHours(1));

        Assert.Equal(BookingOutcome.Booked, result.Outcome);
        Assert.Equal(h.Env(1).Id, result.Reservation!.EnvironmentId);
    }

    [Fact]
    public async Task Booking_any_environment_skips_taken_and_out_of_service_environments()
    {
        await using var h = await BookingHarness.CreateAsync();
        await h.BookAsync(1, h.At(14), TimeSpan.FromHours(1), TestActors.Ben);
        await h.Database.SetEnvironmentStateAsync(h.Env(2).Id, EnvironmentState.Quarantined, "flaky network");
        await h.Database.SetEnvironmentStateAsync(h.Env(3).Id, EnvironmentState.Retired);

        var result = await h.BookAsync(null, h.At(14), TimeSpan.FromHours(1));

        Assert.Equal(BookingOutcome.Booked, result.Outcome);
        Assert.Equal(h.Env(4).Id, result.Reservation!.EnvironmentId);
    }

    [Fact]
    public async Task Booking_any_environment_needs_it_free_for_the_whole_slot_not_only_at_the_start()
    {
        await using var h = await BookingHarness.CreateAsync();
        // Env 1 is free at 14:00 but taken from 15:00; env 2 is taken only through its buffer (ends 13:55 + 10 min).
        await h.BookAsync(1, h.At(15), TimeSpan.FromHours(1), TestActors.Ben);
        await h.BookAsync(2, h.At(13), TimeSpan.FromMinutes(55), TestActors.Ben);

        var result = await h.BookAsync(null, h.At(14), TimeSpan.FromHours(2));

        Assert.Equal(BookingOutcome.Booked, result.Outcome);
        Assert.Equal(h.Env(3).Id, result.Reservation!.EnvironmentId);
    }

    [Fact]
    public async Task Booking_any_environment_when_all_are_taken_returns_a_conflict_with_the_next_free_slot()
    {
        await using var h = await BookingHarness.CreateAsync();
        for (var n = 1; n <= 5; n++)
            await h.BookAsync(n, h.At(14), TimeSpan.FromMinutes(30 + 10 * n), TestActors.Admin);

        var result = await h.BookAsync(null, h.At(14), TimeSpan.FromHours(1));

        Assert.Equal(BookingOutcome.Conflict, result.Outcome);
        Assert.StartsWith("No environment is free for the whole slot.", result.Message);
        // Env 1 is taken 14:00–14:40, so with the buffer it is free again at 14:50: the earliest of the five.
        Assert.Equal(("env-1", h.At(14, 50), h.At(15, 50)),
            (result.Suggestion?.EnvironmentKey, result.Suggestion?.StartUtc, result.Suggestion?.EndUtc));
        Assert.Equal(5, (await h.Database.LiveReservationsAsync()).Count);
    }

    [Fact]
    public async Task Booking_any_environment_when_all_are_out_of_service_is_refused_without_a_suggestion()
    {
        await using var h = await BookingHarness.CreateAsync(environments: 2);
        await h.Database.SetEnvironmentStateAsync(h.Env(1).Id, EnvironmentState.Quarantined, "down");
        await h.Database.SetEnvironmentStateAsync(h.Env(2).Id, EnvironmentState.Retired);

        var result = await h.BookAsync(null, h.At(14), TimeSpan.FromHours(1));

        Assert.Equal(BookingOutcome.Invalid, result.Outcome);
        Assert.Equal("No environment can be booked right now: all are quarantined or retired.", result.Message);
        Assert.Null(result.Suggestion);
    }

    [Fact]
    public async Task Leased_and_cleaning_environments_can_still_be_booked_for_a_later_slot()
    {
        await using var h = await BookingHarness.CreateAsync();
        await h.Database.SetEnvironmentStateAsync(h.Env(1).Id, EnvironmentState.Leased);
        await h.Database.SetEnvironmentStateAsync(h.Env(2).Id, EnvironmentState.CleaningUp);

        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(1, h.At(14), TimeSpan.FromHours(1))).Outcome);
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(2, h.At(14), TimeSpan.FromHours(1))).Outcome);
    }
}
