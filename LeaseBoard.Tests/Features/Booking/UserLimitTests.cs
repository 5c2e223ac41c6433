using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>Per-person limits on upcoming reservations and on booked hours per week; admins are exempt.</summary>
public sealed class UserLimitTests
{
    private static BookingOptions Limits(int maxUpcoming = 10, double maxHoursPerWeek = 24) =>
        new() { MaxUpcomingPerUser = maxUpcoming, MaxHoursPerWeekPerUser = maxHoursPerWeek };

    [Fact]
    public async Task Booking_beyond_the_maximum_of_upcoming_reservations_is_refused()
    {
        await using var h = await BookingHarness.CreateAsync(options: Limits(maxUpcoming: 2));
        await h.BookAsync(1, h.At(10), TimeSpan.FromHours(1));
        await h.BookAsync(1, h.At(12), TimeSpan.FromHours(1));

        var result = await h.BookAsync(1, h.At(14), TimeSpan.FromHours(1));

        Assert.Equal(BookingOutcome.LimitReached, result.Outcome);
        Assert.Equal("You already have 2 upcoming reservations, the most one person may hold. Cancel one or wait until one has run.", result.Message);
        Assert.Equal(2, (await h.Database.LiveReservationsAsync()).Count);
    }

    [Fact]
    public async Task Simultaneous_bookings_by_one_person_cannot_slip_past_the_upcoming_limit()
    {
        await using var h = await BookingHarness.CreateAsync(options: Limits(maxUpcoming: 3));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, 10).Select(i => Task.Run(async () =>
        {
            await gate.Task;
            return await h.BookAsync(i % 5 + 1, h.At(10 + i / 5 * 2), TimeSpan.FromHours(1));
        })).ToList();
        gate.SetResult();
        var results = await Task.WhenAll(attempts);

        Assert.Equal(3, results.Count(r => r.Outcome == BookingOutcome.Booked));
        Assert.Equal(7, results.Count(r => r.Outcome == BookingOutcome.LimitReached));
        Assert.Equal(3, (await h.Database.LiveReservationsAsync()).Count);
    }

    [Fact]
    public async Task The_upcoming_limit_is_per_person()
    {
        await using var h = await BookingHarness.CreateAsync(options: Limits(maxUpcoming: 1));
        await h.BookAsync(1, h.At(10), TimeSpan.FromHours(1), TestActors.Ana);

        var result = await h.BookAsync(1, h.At(12), TimeSpan.FromHours(1), TestActors.Ben);

        Assert.Equal(BookingOutcome.Booked, result.Outcome);
    }

    [Fact]
    public async Task Cancelled_and_finished_reservations_do_not_count_towards_the_upcoming_limit()
    {
        await using var h = await BookingHarness.CreateAsync(options: Limits(maxUpcoming: 1));
        var cancelled = await h.BookAsync(1, h.At(10), TimeSpan.FromHours(1));
        await h.Service.CancelAsync(cancelled.Reservation!.Id, TestActors.Ana);
        await new ReservationBuilder(h.Env(2).Id, h.At(7), h.At(8)).InState(ReservationState.Completed).SaveAsync(h.Database);

        var result = await h.BookAsync(1, h.At(12), TimeSpan.FromHours(1));

        Assert.Equal(BookingOutcome.Booked, result.Outcome);
    }

    [Fact]
    public async Task A_running_reservation_counts_towards_the_upcoming_limit()
    {
        await using var h = await BookingHarness.CreateAsync(options: Limits(maxUpcoming: 1));
        await new ReservationBuilder(h.Env(2).Id, h.At(8, 30), h.At(10)).InState(ReservationState.Active).SaveAsync(h.Database);

        var result = await h.BookAsync(1, h.At(12), TimeSpan.FromHours(1));

        Assert.Equal(BookingOutcome.LimitReached, result.Outcome);
    }

    [Fact]
    public async Task Booking_beyond_the_weekly_hours_is_refused_and_exactly_reaching_them_is_allowed()
    {
        await using var h = await BookingHarness.CreateAsync(options: Limits(maxHoursPerWeek: 4));
        await h.BookAsync(1, h.At(10), TimeSpan.FromHours(3));

        var reachesLimit = await h.BookAsync(1, h.At(14), TimeSpan.FromHours(1));
        var exceedsLimit = await h.BookAsync(1, h.At(16), TimeSpan.FromMinutes(20));

        Assert.Equal(BookingOutcome.Booked, reachesLimit.Outcome);
        Assert.Equal(BookingOutcome.LimitReached, exceedsLimit.Outcome);
        Assert.StartsWith("This would bring you to 4", exceedsLimit.Message);
        Assert.EndsWith("booked hours in the week of 2026-11-30; the limit is 4 hours per person per week.", exceedsLimit.Message);
    }

    [Fact]
    public async Task The_weekly_hours_count_per_calendar_week_so_next_week_is_free_again()
    {
        await using var h = await BookingHarness.CreateAsync(options: Limits(maxHoursPerWeek: 3));
        // Sunday evening still belongs to this week; Monday midnight starts the next one.
        await h.BookAsync(1, h.At(21, daysAhead: 6), TimeSpan.FromHours(3));

        var sameWeek = await h.BookAsync(1, h.At(10, daysAhead: 2), TimeSpan.FromMinutes(20));
        var nextWeek = await h.BookAsync(1, h.At(0, 10, daysAhead: 7), TimeSpan.FromHours(3));

        Assert.Equal(BookingOutcome.LimitReached, sameWeek.Outcome);
        Assert.Equal(BookingOutcome.Booked, nextWeek.Outcome);
    }

    [Fact]
    public async Task Admins_are_exempt_from_both_limits()
    {
        await using var h = await BookingHarness.CreateAsync(options: Limits(maxUpcoming: 1, maxHoursPerWeek: 1));

        for (var n = 1; n <= 3; n++)
        {
            var result = await h.BookAsync(n, h.At(10), TimeSpan.FromHours(3), TestActors.Admin);
            Assert.Equal(BookingOutcome.Booked, result.Outcome);
        }
    }

    [Fact]
    public async Task Moving_a_reservation_does_not_count_its_own_hours_twice_nor_hit_the_upcoming_limit()
    {
        await using var h = await BookingHarness.CreateAsync(options: Limits(maxUpcoming: 1, maxHoursPerWeek: 3));
        var booked = await h.BookAsync(1, h.At(10), TimeSpan.FromHours(3));

        var moved = await h.Service.MoveAsync(booked.Reservation!.Id, h.Env(1).Id, h.At(14), h.At(17), TestActors.Ana);

        Assert.Equal(BookingOutcome.Moved, moved.Outcome);
    }

    [Fact]
    public async Task Moving_a_reservation_into_a_week_already_full_is_refused()
    {
        await using var h = await BookingHarness.CreateAsync(options: Limits(maxHoursPerWeek: 3));
        await h.BookAsync(1, h.At(10, daysAhead: 7), TimeSpan.FromHours(3));
        var thisWeek = await h.BookAsync(1, h.At(10), TimeSpan.FromHours(1));

        var moved = await h.Service.MoveAsync(thisWeek.Reservation!.Id, h.Env(1).Id, h.At(14, daysAhead: 7), h.At(15, daysAhead: 7), TestActors.Ana);

        Assert.Equal(BookingOutcome.LimitReached, moved.Outcome);
        Assert.Equal(h.At(10), (await h.Database.ReservationAsync(thisWeek.Reservation!.Id)).StartUtc);
    }
}
