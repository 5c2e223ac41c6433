using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>The pure checks of <see cref="BookingRules"/>, with the shipped defaults unless a test says otherwise.</summary>
public sealed class BookingRulesTests
{
    private static readonly BookingOptions Defaults = new();
    // Monday 2026-11-30 09:02 UTC, off the grid like the harness clock.
    private static readonly DateTime Now = Utc(2026, 11, 30, 9, 2);

    private static DateTime Utc(int year, int month, int day, int hour, int minute, int second = 0) =>
        new(year, month, day, hour, minute, second, DateTimeKind.Utc);

    private static DateTime Today(int hour, int minute = 0) => Utc(2026, 11, 30, hour, minute);

    [Fact]
    public void A_slot_of_twenty_minutes_to_three_hours_on_the_grid_from_now_is_accepted()
    {
        Assert.Null(BookingRules.CheckTimes(Today(10), Today(10, 20), Now, Defaults));
        Assert.Null(BookingRules.CheckTimes(Today(10), Today(13), Now, Defaults));
    }

    [Fact]
    public void A_slot_shorter_than_the_minimum_duration_is_refused_with_both_durations_named()
    {
        var message = BookingRules.CheckTimes(Today(10), Today(10, 15), Now, Defaults);

        Assert.Equal("A reservation must last at least 20 minutes; this one lasts 15 minutes.", message);
    }

    [Fact]
    public void A_slot_longer_than_the_maximum_duration_is_refused_with_both_durations_named()
    {
        var message = BookingRules.CheckTimes(Today(10), Today(13, 5), Now, Defaults);

        Assert.Equal("A reservation may last at most 3 hours; this one lasts 3 h 5 min.", message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-60)]
    public void A_slot_whose_end_is_not_after_its_start_is_refused_with_a_sentence_that_says_so(int minutes)
    {
        var message = BookingRules.CheckTimes(Today(10), Today(10).AddMinutes(minutes), Now, Defaults);

        Assert.Equal("The end must lie after the start.", message);
    }

    [Theory]
    [InlineData(10, 1, 10, 31)] // start off the grid
    [InlineData(10, 0, 10, 31)] // end off the grid
    public void A_start_or_end_off_the_five_minute_grid_is_refused(int startHour, int startMinute, int endHour, int endMinute)
    {
        var message = BookingRules.CheckTimes(Today(startHour, startMinute), Today(endHour, endMinute), Now, Defaults);

        Assert.Equal("Start and end must fall on the 5-minute grid (for example 14:00, 14:05, 14:10).", message);
    }

    [Fact]
    public void Seconds_off_the_grid_are_refused_too()
    {
        Assert.NotNull(BookingRules.CheckTimes(Today(10).AddSeconds(1), Today(11), Now, Defaults));
        Assert.NotNull(BookingRules.CheckTimes(Today(10), Today(11).AddTicks(1), Now, Defaults));
    }

    [Fact]
    public void A_start_within_the_past_tolerance_is_accepted_and_one_tick_earlier_is_refused()
    {
        var now = Today(9, 5);

        Assert.Null(BookingRules.CheckTimes(Today(9), Today(10), now, Defaults));
        Assert.Equal("The start lies in the past. Pick a start from now on.",
            BookingRules.CheckTimes(Today(9), Today(10), now.AddTicks(1), Defaults));
    }

    [Fact]
    public void A_start_at_the_horizon_is_accepted_and_one_grid_step_beyond_it_is_refused()
    {
        var now = Today(9);
        var atHorizon = now.AddDays(30);

        Assert.Null(BookingRules.CheckTimes(atHorizon, atHorizon.AddHours(1), now, Defaults));
        Assert.Equal("Reservations can be made at most 30 days ahead.",
            BookingRules.CheckTimes(atHorizon.AddMinutes(5), atHorizon.AddHours(1), now, Defaults));
    }

    [Fact]
    public void Times_that_are_not_utc_are_a_programming_error()
    {
        var local = DateTime.SpecifyKind(Today(10), DateTimeKind.Unspecified);

        Assert.Throws<ArgumentException>(() => BookingRules.CheckTimes(local, Today(11), Now, Defaults));
        Assert.Throws<ArgumentException>(() => BookingRules.CheckTimes(Today(10), DateTime.SpecifyKind(Today(11), DateTimeKind.Local), Now, Defaults));
    }

    [Fact]
    public void The_rules_follow_the_configured_options()
    {
        var options = new BookingOptions { MinDuration = TimeSpan.FromMinutes(30), MaxDuration = TimeSpan.FromHours(1), GridMinutes = 15 };

        Assert.Null(BookingRules.CheckTimes(Today(10, 15), Today(11), Now, options));
        Assert.Contains("at least 30 minutes", BookingRules.CheckTimes(Today(10), Today(10, 15), Now, options));
        Assert.Contains("at most 1 hour;", BookingRules.CheckTimes(Today(10), Today(11, 15), Now, options));
        Assert.Contains("15-minute grid", BookingRules.CheckTimes(Today(10, 5), Today(10, 50), Now, options));
    }

    [Fact]
    public void A_title_is_required()
    {
        Assert.Equal("Give the reservation a title, so others know what runs there.", BookingRules.CheckText(null, ""));
        Assert.NotNull(BookingRules.CheckText("", ""));
        Assert.NotNull(BookingRules.CheckText("   \t", ""));
    }

    [Fact]
    public void A_title_may_have_at_most_the_maximum_length()
    {
        Assert.Null(BookingRules.CheckText(new string('t', Rules.TitleMaxLength), ""));
        Assert.Equal($"The title may have at most {Rules.TitleMaxLength} characters; it has {Rules.TitleMaxLength + 1}.",
            BookingRules.CheckText(new string('t', Rules.TitleMaxLength + 1), ""));
    }

    [Fact]
    public void A_test_spec_is_optional_and_may_have_at_most_the_maximum_length()
    {
        Assert.Null(BookingRules.CheckText("Soak", null));
        Assert.Null(BookingRules.CheckText("Soak", new string('s', Rules.TestSpecMaxLength)));
        Assert.Equal($"The test spec may have at most {Rules.TestSpecMaxLength} characters; it has {Rules.TestSpecMaxLength + 1}.",
            BookingRules.CheckText("Soak", new string('s', Rules.TestSpecMaxLength + 1)));
    }

    [Theory]
    [InlineData("\u0000")]
    [InlineData("a\u0007b")]
    [InlineData("a\tb")]
    [InlineData("line one\nline two")]
    [InlineData("a\rb")]
    [InlineData("esc \u001b[31m red")]
    [InlineData("del \u007f")]
    [InlineData("next line \u0085 here")]
    [InlineData("separator \u2028 here")]
    [InlineData("paragraph \u2029 here")]
    public void A_title_with_a_control_character_tab_or_line_break_is_refused_with_a_sentence_that_says_so(string title)
    {
        Assert.Equal("The title may not contain control characters such as tabs, line breaks or NUL.", BookingRules.CheckText(title, ""));
    }

    [Fact]
    public void A_test_spec_may_hold_tabs_and_line_breaks_but_no_other_control_character_and_a_title_is_checked_as_stored_trimmed()
    {
        Assert.Null(BookingRules.CheckText("Soak", "suite=checkout\r\n\tusers=500\n"));
        Assert.Null(BookingRules.CheckText("  Soak test \n", "")); // trimmed before it is stored: nothing of it remains
        Assert.Null(BookingRules.CheckText("Café – ünïcode ✓", ""));
        foreach (var spec in new[] { "users=5\u0000", "a\u0007b", "x\u001b", "x\u2028y" })
            Assert.Equal("The test spec may not contain control characters such as NUL or BEL; tabs and line breaks are fine.", BookingRules.CheckText("Soak", spec));
    }

    [Fact]
    public void Ceil_and_floor_to_the_grid_keep_grid_points_and_move_others_to_the_neighbouring_point()
    {
        Assert.Equal(Today(9, 5), BookingRules.CeilToGrid(Today(9, 2), Defaults));
        Assert.Equal(Today(9, 5), BookingRules.CeilToGrid(Today(9, 0).AddTicks(1), Defaults));
        Assert.Equal(Today(9, 5), BookingRules.CeilToGrid(Today(9, 5), Defaults));
        Assert.Equal(Today(9, 0), BookingRules.FloorToGrid(Today(9, 4).AddSeconds(59), Defaults));
        Assert.Equal(Today(9, 0), BookingRules.FloorToGrid(Today(9, 0), Defaults));
        Assert.Equal(DateTimeKind.Utc, BookingRules.CeilToGrid(Today(9, 2), Defaults).Kind);
        Assert.Equal(DateTimeKind.Utc, BookingRules.FloorToGrid(Today(9, 2), Defaults).Kind);
    }

    [Fact]
    public void On_grid_is_true_only_for_whole_grid_steps()
    {
        Assert.True(BookingRules.OnGrid(Today(14, 10), Defaults));
        Assert.False(BookingRules.OnGrid(Today(14, 11), Defaults));
        Assert.False(BookingRules.OnGrid(Today(14, 10).AddMilliseconds(1), Defaults));
    }

    [Theory]
    [InlineData(2026, 11, 30, 0, 0)]   // Monday midnight
    [InlineData(2026, 12, 2, 13, 45)]  // Wednesday
    [InlineData(2026, 12, 6, 23, 59)]  // Sunday, last minute of the week
    public void The_weekly_limit_counts_in_weeks_from_monday_midnight_utc(int year, int month, int day, int hour, int minute)
    {
        var weekStart = BookingRules.WeekStart(Utc(year, month, day, hour, minute));

        Assert.Equal(Utc(2026, 11, 30, 0, 0), weekStart);
        Assert.Equal(DateTimeKind.Utc, weekStart.Kind);
    }

    [Fact]
    public void Monday_midnight_starts_a_new_week()
    {
        Assert.Equal(Utc(2026, 12, 7, 0, 0), BookingRules.WeekStart(Utc(2026, 12, 7, 0, 0)));
    }

    [Theory]
    [InlineData(1, "1 minute")]
    [InlineData(20, "20 minutes")]
    [InlineData(60, "1 hour")]
    [InlineData(90, "1 h 30 min")]
    [InlineData(180, "3 hours")]
    [InlineData(1440, "1 day")]
    [InlineData(43200, "30 days")]
    public void Durations_are_described_in_words(int minutes, string expected)
    {
        Assert.Equal(expected, BookingRules.Describe(TimeSpan.FromMinutes(minutes)));
    }
}
