using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>
/// No one holds the whole pool: the concurrent share, prime time, team budgets, and the audited exemptions of admins
/// and of people an admin granted an exception — through the real guard on a real database.
/// </summary>
public sealed class FairUseTests
{
    private static readonly TimeSpan ThreeHours = TimeSpan.FromHours(3);

    [Fact]
    public async Task A_third_environment_at_the_same_time_is_refused_with_the_two_held_and_when_the_share_allows_it()
    {
        await using var h = await BookingHarness.CreateAsync();
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(1, h.At(10), ThreeHours, title: "Soak A")).Outcome);
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(2, h.At(10), ThreeHours, title: "Soak B")).Outcome);

        var third = await h.BookAsync(3, h.At(11), ThreeHours);

        Assert.Equal(BookingOutcome.LimitReached, third.Outcome);
        Assert.Equal("You already hold Env 1 (2026-11-30 10:00 UTC–13:00, “Soak A”) and Env 2 (2026-11-30 10:00 UTC–13:00, “Soak B”) at that time; " +
                     "one person may hold at most 2 environments at once. The share allows this test from 2026-11-30 13:00 UTC, or cancel one of them.", third.Message);
        Assert.Equal(2, (await h.Database.LiveReservationsAsync()).Count);
        // What the sentence offers works, and everyone else still books the pool.
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(3, h.At(13), ThreeHours)).Outcome);
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(4, h.At(10), ThreeHours, TestActors.Ben)).Outcome);
    }

    [Fact]
    public async Task Earliest_bookings_on_any_environment_stop_at_the_share_and_back_to_back_slots_do_not_count_as_overlapping()
    {
        await using var h = await BookingHarness.CreateAsync();
        var start = h.At(9, 5);
        var results = new List<BookingResult>();
        for (var i = 0; i < 4; i++) results.Add(await h.BookAsync(null, start, ThreeHours));

        Assert.Equal([BookingOutcome.Booked, BookingOutcome.Booked, BookingOutcome.LimitReached, BookingOutcome.LimitReached], results.Select(r => r.Outcome));
        // Two held 09:05–12:05; a third after them is fine, and the held ones never exceed two at an instant.
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(null, h.At(12, 5), ThreeHours)).Outcome);
    }

    [Fact]
    public async Task Simultaneous_bookings_by_one_person_cannot_slip_past_the_share()
    {
        await using var h = await BookingHarness.CreateAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(1, 5).Select(env => Task.Run(async () =>
        {
            await gate.Task;
            return await h.BookAsync(env, h.At(14), ThreeHours);
        })).ToList();
        gate.SetResult();
        var results = await Task.WhenAll(attempts);

        Assert.Equal(2, results.Count(r => r.Outcome == BookingOutcome.Booked));
        Assert.Equal(2, (await h.Database.LiveReservationsAsync()).Count);
    }

    [Fact]
    public async Task A_move_into_a_time_where_two_are_already_held_is_refused()
    {
        await using var h = await BookingHarness.CreateAsync();
        await h.BookAsync(1, h.At(10), ThreeHours);
        await h.BookAsync(2, h.At(10), ThreeHours);
        var later = (await h.BookAsync(3, h.At(14), ThreeHours)).Reservation!;

        var moved = await h.Service.MoveAsync(later.Id, h.Env(3).Id, h.At(11), h.At(14), TestActors.Ana);

        Assert.Equal(BookingOutcome.LimitReached, moved.Outcome);
        Assert.StartsWith("You already hold Env 1", moved.Message);
    }

    [Fact]
    public async Task An_admin_is_exempt_and_each_exemption_used_is_audited_with_the_booking()
    {
        await using var h = await BookingHarness.CreateAsync();
        for (var env = 1; env <= 3; env++)
            Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(env, h.At(10), ThreeHours, TestActors.Admin)).Outcome);

        var exemptions = await AuditAsync(h, AuditActions.LimitExempted);
        var exemption = Assert.Single(exemptions);
        Assert.Equal(TestActors.Admin.Id, exemption.Actor);
        Assert.Contains("exempt as an admin from: You already hold Env 1", exemption.Details);
    }

    [Fact]
    public async Task An_exception_lifts_the_limits_until_its_end_and_not_once_revoked_or_ended()
    {
        await using var h = await BookingHarness.CreateAsync();
        await using (var db = h.Database.CreateDbContext())
        {
            db.LimitExceptions.Add(new LimitException
            {
                UserId = TestActors.Ana.Id, Reason = "Release soak", GrantedBy = "Root", GrantedUtc = h.Now, EndsUtc = h.At(12),
            });
            await db.SaveChangesAsync();
        }
        for (var env = 1; env <= 3; env++)
            Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(env, h.At(14), ThreeHours)).Outcome);
        Assert.Contains("exempt by the exception Root granted until 2026-11-30 12:00 UTC (“Release soak”)",
            Assert.Single(await AuditAsync(h, AuditActions.LimitExempted)).Details);

        h.Clock.Advance(TimeSpan.FromHours(3)); // 12:02: the exception has ended
        Assert.Equal(BookingOutcome.LimitReached, (await h.BookAsync(4, h.At(15), ThreeHours)).Outcome);
    }

    [Fact]
    public async Task Prime_time_caps_the_length_and_the_share_in_the_company_zone_and_allows_long_soaks_outside()
    {
        var options = new BookingOptions
        {
            PrimeTime = new PrimeTimeOptions { Enabled = true, TimeZone = "Europe/Berlin", MaxDuration = TimeSpan.FromHours(2), MaxConcurrentPerUser = 1 },
        };
        await using var h = await BookingHarness.CreateAsync(options: options);

        // Monday 08:00 UTC is 09:00 in Berlin (CET): prime time.
        var tooLong = await h.BookAsync(1, h.At(8, daysAhead: 7), ThreeHours);
        Assert.Equal(BookingOutcome.LimitReached, tooLong.Outcome);
        Assert.Equal("During prime time (weekdays 09:00–18:00 Europe/Berlin) a reservation may last at most 2 hours; this one lasts 3 hours. " +
                     "Book 2 hours, or run the longer test outside those hours.", tooLong.Message);
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(1, h.At(8, daysAhead: 7), TimeSpan.FromHours(2))).Outcome);
        var second = await h.BookAsync(2, h.At(9, daysAhead: 7), TimeSpan.FromHours(1));
        Assert.Equal(BookingOutcome.LimitReached, second.Outcome);
        Assert.Contains("one person may hold at most 1 environment at once during prime time", second.Message);

        // 17:00 UTC is 18:00 in Berlin: prime time is over; Saturday is outside it all day.
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(3, h.At(17, daysAhead: 7), ThreeHours)).Outcome);
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(1, h.At(9, daysAhead: 5), ThreeHours)).Outcome);
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(2, h.At(9, daysAhead: 5), ThreeHours)).Outcome);
    }

    [Fact]
    public async Task A_team_shares_a_weekly_budget_and_a_cap_and_the_sentence_says_how_much_is_used()
    {
        var options = new BookingOptions { Teams = [new TeamOptions { Name = "payments", WeeklyHours = 8, MaxConcurrent = 2 }] };
        await using var h = await BookingHarness.CreateAsync(options: options);
        await SetTeamAsync(h, TestActors.Ana, "payments");
        await SetTeamAsync(h, TestActors.Ben, "payments");

        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(1, h.At(10), ThreeHours)).Outcome);
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(2, h.At(10), ThreeHours, TestActors.Ben)).Outcome);
        var cap = await h.BookAsync(3, h.At(11), TimeSpan.FromHours(1), TestActors.Ben);
        Assert.Equal(BookingOutcome.LimitReached, cap.Outcome);
        Assert.StartsWith("Your team payments already holds Env 1", cap.Message);
        Assert.Contains("the team may hold at most 2 environments at once", cap.Message);

        var budget = await h.BookAsync(3, h.At(14), ThreeHours, TestActors.Ben);
        Assert.Equal(BookingOutcome.LimitReached, budget.Outcome);
        Assert.Equal("Your team payments has booked 6 of its 8 hours in the week of 2026-11-30; this reservation needs 3 more. Book a shorter test, or in another week.", budget.Message);

        // Someone outside the team is not held to its budget.
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(3, h.At(14), ThreeHours, new Actor("local:cy", "Cy", false))).Outcome);
    }

    [Fact]
    public void Depth_counts_the_most_held_at_one_instant()
    {
        var day = new DateTime(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc);
        HeldSlot Slot(int from, int to) => new("a", "Env", "t", day.AddHours(from), day.AddHours(to));
        var held = new[] { Slot(9, 10), Slot(11, 12), Slot(9, 12), Slot(12, 13) };

        Assert.Equal(2, FairUse.Depth(held, day.AddHours(9), day.AddHours(13)));
        Assert.Equal(1, FairUse.Depth(held, day.AddHours(10), day.AddHours(11)));
        Assert.Equal(0, FairUse.Depth(held, day.AddHours(13), day.AddHours(14)));
    }

    private static async Task<List<AuditEntry>> AuditAsync(BookingHarness h, string action)
    {
        await using var db = h.Database.CreateDbContext();
        return await db.AuditEntries.Where(a => a.Action == action).ToListAsync();
    }

    private static async Task SetTeamAsync(BookingHarness h, Actor person, string team)
    {
        await using var db = h.Database.CreateDbContext();
        db.People.Add(new Person { Id = person.Id, DisplayName = person.DisplayName, Team = team });
        await db.SaveChangesAsync();
    }
}
