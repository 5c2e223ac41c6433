using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>
/// The booking service refuses a request that breaks a rule with an Invalid result and a sentence,
/// and stores nothing. The clock is the harness's Monday 2026-11-30 09:02 UTC.
/// </summary>
public sealed class BookingRequestValidationTests
{
    private static async Task AssertRefusedAsync(BookingHarness h, BookingResult result, string expectedFragment)
    {
        Assert.Equal(BookingOutcome.Invalid, result.Outcome);
        Assert.Contains(expectedFragment, result.Message);
        Assert.Null(result.Reservation);
        Assert.Empty(await h.Database.LiveReservationsAsync());
    }

    [Fact]
    public async Task Booking_the_shortest_and_the_longest_allowed_slot_succeeds()
    {
        await using var h = await BookingHarness.CreateAsync();

        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(1, h.At(10), TimeSpan.FromMinutes(20))).Outcome);
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(2, h.At(10), TimeSpan.FromHours(3))).Outcome);
    }

    [Fact]
    public async Task Booking_less_than_twenty_minutes_is_refused()
    {
        await using var h = await BookingHarness.CreateAsync();

        var result = await h.BookAsync(1, h.At(10), TimeSpan.FromMinutes(15));

        await AssertRefusedAsync(h, result, "at least 20 minutes");
    }

    [Fact]
    public async Task Booking_more_than_three_hours_is_refused()
    {
        await using var h = await BookingHarness.CreateAsync();

        var result = await h.BookAsync(1, h.At(10), TimeSpan.FromMinutes(185));

        await AssertRefusedAsync(h, result, "at most 3 hours");
    }

    [Fact]
    public async Task Booking_a_start_off_the_five_minute_grid_is_refused()
    {
        await using var h = await BookingHarness.CreateAsync();

        var result = await h.BookAsync(1, h.At(10, 3), TimeSpan.FromHours(1));

        await AssertRefusedAsync(h, result, "5-minute grid");
    }

    [Fact]
    public async Task Booking_an_end_off_the_five_minute_grid_is_refused()
    {
        await using var h = await BookingHarness.CreateAsync();

        var result = await h.BookAsync(1, h.At(10), TimeSpan.FromMinutes(62));

        await AssertRefusedAsync(h, result, "5-minute grid");
    }

    [Fact]
    public async Task Booking_the_current_grid_step_is_allowed_thanks_to_the_past_tolerance()
    {
        await using var h = await BookingHarness.CreateAsync();

        // Now is 09:02: 09:00 lies two minutes back, inside the five-minute tolerance.
        var result = await h.BookAsync(1, h.At(9), TimeSpan.FromHours(1));

        Assert.Equal(BookingOutcome.Booked, result.Outcome);
    }

    [Fact]
    public async Task Booking_a_start_further_in_the_past_than_the_tolerance_is_refused()
    {
        await using var h = await BookingHarness.CreateAsync();

        var result = await h.BookAsync(1, h.At(8, 55), TimeSpan.FromHours(1));

        await AssertRefusedAsync(h, result, "The start lies in the past");
    }

    [Fact]
    public async Task Booking_at_the_thirty_day_horizon_succeeds_and_beyond_it_is_refused()
    {
        await using var h = await BookingHarness.CreateAsync();

        var atHorizon = await h.BookAsync(1, h.At(9, daysAhead: 30), TimeSpan.FromHours(1));
        var beyond = await h.BookAsync(2, h.At(9, 5, daysAhead: 30), TimeSpan.FromHours(1));

        Assert.Equal(BookingOutcome.Booked, atHorizon.Outcome);
        Assert.Equal(BookingOutcome.Invalid, beyond.Outcome);
        Assert.Equal("Reservations can be made at most 30 days ahead.", beyond.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task Booking_without_a_title_is_refused(string title)
    {
        await using var h = await BookingHarness.CreateAsync();

        var result = await h.BookAsync(1, h.At(10), TimeSpan.FromHours(1), title: title);

        await AssertRefusedAsync(h, result, "Give the reservation a title");
    }

    [Fact]
    public async Task Booking_with_a_title_over_the_length_limit_is_refused()
    {
        await using var h = await BookingHarness.CreateAsync();

        var result = await h.BookAsync(1, h.At(10), TimeSpan.FromHours(1), title: new string('x', Rules.TitleMaxLength + 1));

        await AssertRefusedAsync(h, result, $"at most {Rules.TitleMaxLength} characters");
    }

    [Fact]
    public async Task Booking_with_a_test_spec_over_the_length_limit_is_refused()
    {
        await using var h = await BookingHarness.CreateAsync();

        var result = await h.Service.BookAsync(new BookingRequest(h.Env(1).Id, h.At(10), TimeSpan.FromHours(1), "Soak", TestKind.Soak,
            new string('s', Rules.TestSpecMaxLength + 1)), TestActors.Ana);

        await AssertRefusedAsync(h, result, $"The test spec may have at most {Rules.TestSpecMaxLength} characters");
    }

    [Fact]
    public async Task Title_and_test_spec_are_stored_trimmed()
    {
        await using var h = await BookingHarness.CreateAsync();

        var result = await h.Service.BookAsync(new BookingRequest(h.Env(1).Id, h.At(10), TimeSpan.FromHours(1), "  Soak night  ", TestKind.Soak,
            "  hours=8 \n"), TestActors.Ana);

        var stored = await h.Database.ReservationAsync(result.Reservation!.Id);
        Assert.Equal(("Soak night", "hours=8"), (stored.Title, stored.TestSpec));
    }

    [Fact]
    public async Task Booking_an_environment_that_does_not_exist_is_refused()
    {
        await using var h = await BookingHarness.CreateAsync();

        var result = await h.Service.BookAsync(new BookingRequest(9999, h.At(10), TimeSpan.FromHours(1), "Load", TestKind.Load, ""), TestActors.Ana);

        Assert.Equal(BookingOutcome.Invalid, result.Outcome);
        Assert.Equal("Environment 9999 does not exist.", result.Message);
    }
}
