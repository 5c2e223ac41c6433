using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Calendar;

namespace LeaseBoard.Tests.Features.Calendar;

/// <summary>Where instants fall on the calendar's axis, in UTC and across Berlin's daylight-saving changes.</summary>
public sealed class CalendarGeometryTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    private static DateTime Utc(int year, int month, int day, int hour, int minute = 0) => new(year, month, day, hour, minute, 0, DateTimeKind.Utc);

    [Fact]
    public void Calendar_day_view_puts_a_90_minute_block_at_14_00_at_1680_px_and_180_px_wide()
    {
        var geometry = new CalendarGeometry(new DateOnly(2026, 11, 30), CalendarView.Day, TimeZoneInfo.Utc);

        Assert.Equal((1680d, 180d), (geometry.Left(Utc(2026, 11, 30, 14)), geometry.Width(Utc(2026, 11, 30, 14), Utc(2026, 11, 30, 15, 30))));
        Assert.Equal(24 * 60 * 2d, geometry.TotalWidth);
        Assert.Equal(24, geometry.Hours().Count());
    }

    [Fact]
    public void Calendar_day_view_clips_a_block_that_started_the_day_before()
    {
        var geometry = new CalendarGeometry(new DateOnly(2026, 11, 30), CalendarView.Day, TimeZoneInfo.Utc);

        Assert.Equal((0d, 120d), (geometry.Left(Utc(2026, 11, 29, 23)), geometry.Width(Utc(2026, 11, 29, 23), Utc(2026, 11, 30, 1))));
    }

    [Fact]
    public void Calendar_spring_forward_day_in_Berlin_is_23_hours_wide_and_a_block_at_04_00_local_sits_three_hours_in()
    {
        var geometry = new CalendarGeometry(new DateOnly(2026, 3, 29), CalendarView.Day, Berlin);

        Assert.Equal(Utc(2026, 3, 28, 23), geometry.StartUtc); // local midnight is still winter time (UTC+1)
        Assert.Equal(23 * 60 * 2d, geometry.TotalWidth);
        // 04:00–05:30 local is 02:00–03:30 UTC (summer time): three real hours after local midnight, not four.
        Assert.Equal((3 * 120d, 180d), (geometry.Left(Utc(2026, 3, 29, 2)), geometry.Width(Utc(2026, 3, 29, 2), Utc(2026, 3, 29, 3, 30))));
        var hours = geometry.Hours().ToList();
        Assert.DoesNotContain(hours, h => h.Label == "02:00");
        Assert.Equal(360d, hours.Single(h => h.Label == "04:00").Left);
    }

    [Fact]
    public void Calendar_fall_back_day_in_Berlin_is_25_hours_wide_and_shows_02_00_twice()
    {
        var geometry = new CalendarGeometry(new DateOnly(2026, 10, 25), CalendarView.Day, Berlin);

        Assert.Equal(25 * 60 * 2d, geometry.TotalWidth);
        Assert.Equal(2, geometry.Hours().Count(h => h.Label == "02:00"));
        // 14:00 local is 13:00 UTC (winter time again): 15 real hours after local midnight (22:00 UTC the day before).
        Assert.Equal(15 * 120d, geometry.Left(Utc(2026, 10, 25, 13)));
    }

    [Fact]
    public void Calendar_work_week_starts_on_monday_and_three_days_step_by_three()
    {
        var week = new CalendarGeometry(new DateOnly(2026, 12, 3), CalendarView.WorkWeek, TimeZoneInfo.Utc);
        var three = new CalendarGeometry(new DateOnly(2026, 12, 3), CalendarView.ThreeDays, TimeZoneInfo.Utc);

        Assert.Equal((new DateOnly(2026, 11, 30), 5), (week.FirstDay, week.Days));
        Assert.Equal(new DateOnly(2026, 12, 7), week.Step(1));
        Assert.Equal(new DateOnly(2026, 11, 30), three.Step(-1));
        Assert.Equal(3 * 24 * 60d, three.TotalWidth);
    }
}

/// <summary>The drag preview's rules (mirrored in CalendarPage.razor.js): buffer, past, min and max, closed lanes.</summary>
public sealed class CalendarConflictPreviewTests
{
    private static readonly BookingOptions Rules = new();
    private static readonly DateTime Now = new(2026, 11, 30, 9, 2, 0, DateTimeKind.Utc);
    private static readonly PreviewBlock Held = new(7, "Soak test", At(14), At(15));

    private static DateTime At(int hour, int minute = 0) => new(2026, 11, 30, hour, minute, 0, DateTimeKind.Utc);

    private static string? Check(DateTime start, DateTime end, int? moving = null, string? closed = null) =>
        ConflictPreview.Check(start, end, [Held], moving, Now, Rules, TimeZoneInfo.Utc, closed);

    [Fact]
    public void Calendar_preview_flags_an_overlap_and_names_the_reservation() =>
        Assert.Equal("Overlaps Soak test 14:00–15:00 (with the 10 minutes changeover)", Check(At(14, 30), At(15, 30)));

    [Fact]
    public void Calendar_preview_counts_the_changeover_buffer_on_both_sides()
    {
        Assert.NotNull(Check(At(15, 5), At(16)));   // inside the 10 minutes after the block
        Assert.Null(Check(At(15, 10), At(16)));     // right after the buffer
        Assert.NotNull(Check(At(13), At(13, 55)));  // its own buffer would run into the block
        Assert.Null(Check(At(13), At(13, 50)));
    }

    [Fact]
    public void Calendar_preview_ignores_the_block_being_moved() => Assert.Null(Check(At(14, 30), At(15, 30), moving: 7));

    [Fact]
    public void Calendar_preview_refuses_the_past_too_short_too_long_and_closed_lanes()
    {
        Assert.Equal("Starts in the past", Check(At(8, 30), At(9, 30)));
        Assert.Null(Check(At(9), At(10))); // within the 5-minute tolerance: "now" can be booked
        Assert.Equal("Too short: at least 20 minutes", Check(At(10), At(10, 15)));
        Assert.Equal("Too long: at most 3 hours", Check(At(10), At(13, 5)));
        Assert.Equal("Env 3 is quarantined", Check(At(10), At(11), closed: "Env 3 is quarantined"));
    }

    [Fact]
    public void Calendar_preview_label_and_snap_to_the_five_minute_grid()
    {
        Assert.Equal("14:05–15:35 · 1 h 30", ConflictPreview.Label(At(14, 5), At(15, 35), TimeZoneInfo.Utc));
        Assert.Equal("14:00–14:45 · 45 min", ConflictPreview.Label(At(14), At(14, 45), TimeZoneInfo.Utc));
        Assert.Equal(At(14, 5), ConflictPreview.Snap(At(14, 3), Rules));
        Assert.Equal(At(14, 0), ConflictPreview.Snap(At(14, 2), Rules));
    }
}
