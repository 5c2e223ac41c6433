using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>The earliest bookable slot of a given length, on one environment or on any; now is Monday 09:02 UTC.</summary>
public sealed class NextFreeSlotTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    [Fact]
    public async Task On_an_empty_board_the_next_free_slot_is_the_current_grid_step_on_the_first_environment()
    {
        await using var h = await BookingHarness.CreateAsync();

        var slot = await h.Service.NextFreeSlotAsync(Hour, null, null);

        Assert.Equal(new Slot(h.Env(1).Id, "env-1", "Env 1", h.At(9), h.At(10)), slot);
    }

    [Fact]
    public async Task On_one_environment_the_next_free_slot_starts_after_the_reservation_and_its_changeover()
    {
        await using var h = await BookingHarness.CreateAsync();
        await h.BookAsync(2, h.At(9), TimeSpan.FromHours(3), TestActors.Ben);

        var slot = await h.Service.NextFreeSlotAsync(Hour, h.Env(2).Id, null);

        Assert.Equal((h.Env(2).Id, h.At(12, 10), h.At(13, 10)), (slot?.EnvironmentId, slot?.StartUtc, slot?.EndUtc));
    }

    [Fact]
    public async Task A_gap_is_used_only_when_it_leaves_the_changeover_before_the_next_reservation()
    {
        await using var h = await BookingHarness.CreateAsync();
        await h.BookAsync(2, h.At(9), TimeSpan.FromHours(2), TestActors.Ben);    // free from 11:10
        await h.BookAsync(2, h.At(12, 20), TimeSpan.FromHours(1), TestActors.Ben); // an hour fits 11:10–12:10, then 10 min changeover
        await h.BookAsync(3, h.At(9), TimeSpan.FromHours(2), TestActors.Ben);    // free from 11:10
        await h.BookAsync(3, h.At(12, 15), TimeSpan.FromHours(1), TestActors.Ben); // five minutes short: next is 13:25

        var fits = await h.Service.NextFreeSlotAsync(Hour, h.Env(2).Id, null);
        var tooShort = await h.Service.NextFreeSlotAsync(Hour, h.Env(3).Id, null);

        Assert.Equal(h.At(11, 10), fits?.StartUtc);
        Assert.Equal(h.At(13, 25), tooShort?.StartUtc);
    }

    [Fact]
    public async Task On_any_environment_the_earliest_slot_wins()
    {
        await using var h = await BookingHarness.CreateAsync();
        for (var n = 1; n <= 5; n++)
            await h.BookAsync(n, h.At(9), TimeSpan.FromMinutes(120 - 10 * n), TestActors.Admin);

        var slot = await h.Service.NextFreeSlotAsync(Hour, null, null);

        // Env 5 is taken 09:00–10:10, so it is free from 10:20: earlier than all others.
        Assert.Equal(("env-5", h.At(10, 20)), (slot?.EnvironmentKey, slot?.StartUtc));
    }

    [Fact]
    public async Task Free_slots_are_the_earliest_on_each_environment_earliest_first_at_most_the_count_asked()
    {
        await using var h = await BookingHarness.CreateAsync();
        for (var n = 1; n <= 5; n++)
            await h.BookAsync(n, h.At(9), TimeSpan.FromMinutes(120 - 10 * n), TestActors.Admin);

        var slots = await h.Service.FreeSlotsAsync(Hour, null, null, 3);

        Assert.Equal([("env-5", h.At(10, 20)), ("env-4", h.At(10, 30)), ("env-3", h.At(10, 40))], slots.Select(s => (s.EnvironmentKey, s.StartUtc)).ToList());
    }

    [Fact]
    public async Task A_refused_booking_offers_the_next_free_slot_on_up_to_three_environments_so_race_losers_spread_out()
    {
        await using var h = await BookingHarness.CreateAsync();
        await h.BookAsync(1, h.At(10), Hour, TestActors.Ben);
        await h.BookAsync(2, h.At(10), TimeSpan.FromHours(2), TestActors.Ben);

        var lost = await h.Service.BookAsync(new BookingRequest(h.Env(1).Id, h.At(10), Hour, "Late", TestKind.Load, ""), TestActors.Ana);

        Assert.Equal(BookingOutcome.Conflict, lost.Outcome);
        Assert.Equal([("env-3", h.At(10)), ("env-4", h.At(10)), ("env-5", h.At(10))], lost.Alternatives.Select(s => (s.EnvironmentKey, s.StartUtc)).ToList());
        Assert.Equal(lost.Alternatives[0], lost.Suggestion);
        Assert.EndsWith("Next free: Env 3 2026-11-30 10:00 UTC–2026-11-30 11:00 UTC, Env 4 2026-11-30 10:00 UTC–2026-11-30 11:00 UTC, Env 5 2026-11-30 10:00 UTC–2026-11-30 11:00 UTC.", lost.Message);
    }

    [Fact]
    public async Task On_a_tie_the_preferred_environment_wins_and_otherwise_board_order()
    {
        await using var h = await BookingHarness.CreateAsync();

        var plain = await h.Service.NextFreeSlotAsync(Hour, null, h.At(14));
        var preferred = await h.Service.NextFreeSlotAsync(Hour, null, h.At(14), preferredEnvironmentId: h.Env(4).Id);

        Assert.Equal("env-1", plain?.EnvironmentKey);
        Assert.Equal(("env-4", h.At(14)), (preferred?.EnvironmentKey, preferred?.StartUtc));
    }

    [Fact]
    public async Task The_search_starts_at_the_requested_time_rounded_up_to_the_grid()
    {
        await using var h = await BookingHarness.CreateAsync();

        var slot = await h.Service.NextFreeSlotAsync(Hour, h.Env(1).Id, h.At(14, 7));

        Assert.Equal(h.At(14, 10), slot?.StartUtc);
    }

    [Fact]
    public async Task The_next_free_slot_never_lies_in_the_past_and_can_be_booked()
    {
        await using var h = await BookingHarness.CreateAsync();

        var slot = await h.Service.NextFreeSlotAsync(Hour, h.Env(1).Id, h.At(9, daysAhead: -1));

        Assert.NotNull(slot);
        Assert.True(slot.StartUtc >= h.Now - h.Options.PastTolerance, $"{slot.StartUtc:O} lies in the past of {h.Now:O}");
        Assert.Null(BookingRules.CheckTimes(slot.StartUtc, slot.EndUtc, h.Now, h.Options));
        Assert.Equal(BookingOutcome.Booked, (await h.BookAsync(1, slot.StartUtc, slot.Duration)).Outcome);
    }

    [Fact]
    public async Task Without_a_past_tolerance_the_next_free_slot_starts_at_the_next_grid_step()
    {
        await using var h = await BookingHarness.CreateAsync(options: new BookingOptions { PastTolerance = TimeSpan.Zero });

        var slot = await h.Service.NextFreeSlotAsync(Hour, h.Env(1).Id, null);

        Assert.Equal(h.At(9, 5), slot?.StartUtc);
    }

    [Fact]
    public async Task The_next_free_slot_skips_quarantined_and_retired_environments()
    {
        await using var h = await BookingHarness.CreateAsync();
        await h.Database.SetEnvironmentStateAsync(h.Env(1).Id, EnvironmentState.Quarantined, "hung");
        await h.Database.SetEnvironmentStateAsync(h.Env(2).Id, EnvironmentState.Retired);

        var any = await h.Service.NextFreeSlotAsync(Hour, null, null);
        var onQuarantined = await h.Service.NextFreeSlotAsync(Hour, h.Env(1).Id, null);

        Assert.Equal("env-3", any?.EnvironmentKey);
        Assert.Null(onQuarantined);
    }

    [Fact]
    public async Task There_is_no_next_free_slot_beyond_the_horizon()
    {
        await using var h = await BookingHarness.CreateAsync();

        var atHorizon = await h.Service.NextFreeSlotAsync(Hour, h.Env(1).Id, h.At(9, daysAhead: 30));
        var beyond = await h.Service.NextFreeSlotAsync(Hour, h.Env(1).Id, h.At(9, 5, daysAhead: 30));

        Assert.Equal(h.At(9, daysAhead: 30), atHorizon?.StartUtc);
        Assert.Null(beyond);
    }

    [Fact]
    public async Task There_is_no_next_free_slot_when_an_environment_is_taken_until_beyond_the_horizon()
    {
        await using var h = await BookingHarness.CreateAsync();
        // A maintenance block longer than any booking, put in directly by an admin tool.
        await new ReservationBuilder(h.Env(1).Id, h.At(8), h.At(8, daysAhead: 31)).OwnedBy(TestActors.Admin).SaveAsync(h.Database);

        var slot = await h.Service.NextFreeSlotAsync(Hour, h.Env(1).Id, null);

        Assert.Null(slot);
    }

    [Theory]
    [InlineData(15)]
    [InlineData(185)]
    public async Task There_is_no_next_free_slot_for_a_duration_the_rules_do_not_allow(int minutes)
    {
        await using var h = await BookingHarness.CreateAsync();

        Assert.Null(await h.Service.NextFreeSlotAsync(TimeSpan.FromMinutes(minutes), null, null));
    }

    [Fact]
    public async Task Cancelled_and_finished_reservations_do_not_block_the_next_free_slot()
    {
        await using var h = await BookingHarness.CreateAsync();
        var booked = await h.BookAsync(1, h.At(9), TimeSpan.FromHours(2));
        await h.Service.CancelAsync(booked.Reservation!.Id, TestActors.Ana);

        var slot = await h.Service.NextFreeSlotAsync(Hour, h.Env(1).Id, null);

        Assert.Equal(h.At(9), slot?.StartUtc);
    }

    [Fact]
    public async Task The_suggestion_of_a_conflict_is_a_slot_that_can_actually_be_booked()
    {
        await using var h = await BookingHarness.CreateAsync(environments: 1);
        await h.BookAsync(1, h.At(9), TimeSpan.FromHours(2), TestActors.Ben);
        await h.BookAsync(1, h.At(11, 10), TimeSpan.FromHours(1), TestActors.Ben);

        var conflict = await h.BookAsync(1, h.At(10), TimeSpan.FromMinutes(45));
        var rebooked = await h.BookAsync(1, conflict.Suggestion!.StartUtc, conflict.Suggestion.Duration);

        Assert.Equal(BookingOutcome.Conflict, conflict.Outcome);
        Assert.Equal(h.At(12, 20), conflict.Suggestion.StartUtc);
        Assert.Equal(BookingOutcome.Booked, rebooked.Outcome);
    }
}
