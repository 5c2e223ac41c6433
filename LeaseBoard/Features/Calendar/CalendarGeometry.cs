using System.Globalization;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;

namespace LeaseBoard.Features.Calendar;

public enum CalendarView { Day = 1, ThreeDays = 3, WorkWeek = 5 }

/// <summary>An hour mark on the time axis: where it sits and what the viewer's clock reads there.</summary>
public sealed record HourMark(double Left, string Label, bool StartsDay);

/// <summary>
/// The visible period of the calendar and where instants fall in it. The axis is linear in real
/// (UTC) time from local midnight of the first day to local midnight after the last: a day with a
/// daylight-saving change is 23 or 25 hours wide, and the hour labels read the local clock.
/// </summary>
public sealed class CalendarGeometry
{
    public CalendarGeometry(DateOnly firstDay, CalendarView view, TimeZoneInfo zone)
    {
        Zone = zone;
        View = view;
        FirstDay = view == CalendarView.WorkWeek ? Monday(firstDay) : firstDay;
        Days = (int)view;
        StartUtc = LocalMidnightToUtc(FirstDay);
        EndUtc = LocalMidnightToUtc(FirstDay.AddDays(Days));
        PxPerMinute = view switch { CalendarView.Day => 2.0, CalendarView.ThreeDays => 1.0, _ => 0.6 };
    }

    public TimeZoneInfo Zone { get; }
    public CalendarView View { get; }
    public DateOnly FirstDay { get; }
    public int Days { get; }
    public DateTime StartUtc { get; }
    public DateTime EndUtc { get; }
    /// <summary>Day view: 2 px a minute, so a 20-minute block is 40 px wide (UX: at least 1.5 px/min).</summary>
    public double PxPerMinute { get; }

    public double TotalWidth => Minutes(EndUtc - StartUtc);

    public double Left(DateTime utc) => Minutes(Clamp(utc) - StartUtc);

    public double Width(DateTime startUtc, DateTime endUtc) => Math.Max(0, Left(endUtc) - Left(startUtc));

    public bool Shows(DateTime startUtc, DateTime endUtc) => startUtc < EndUtc && endUtc > StartUtc;

    public IEnumerable<HourMark> Hours()
    {
        var step = PxPerMinute * 60 < 50 ? 3 : 1; // narrow hours (work week): label every third
        for (var t = StartUtc; t < EndUtc; t = t.AddHours(1))
        {
            var local = TimeZoneInfo.ConvertTimeFromUtc(t, Zone);
            if (local.Minute != 0 || local.Hour % step != 0) continue; // zones off the whole hour: label only whole local hours
            yield return new HourMark(Left(t), local.ToString("HH:mm", CultureInfo.InvariantCulture), local.Hour == 0);
        }
    }

    public IEnumerable<(double Left, string Label)> DayStarts()
    {
        for (var d = 0; d < Days; d++)
        {
            var day = FirstDay.AddDays(d);
            yield return (Left(LocalMidnightToUtc(day)), day.ToString("ddd d MMM", CultureInfo.InvariantCulture));
        }
    }

    public string Title => Days == 1
        ? FirstDay.ToString("dddd d MMMM yyyy", CultureInfo.InvariantCulture)
        : $"{FirstDay.ToString("d MMM", CultureInfo.InvariantCulture)} – {FirstDay.AddDays(Days - 1).ToString("d MMM yyyy", CultureInfo.InvariantCulture)}";

    public DateOnly Step(int direction) => FirstDay.AddDays(direction * (View == CalendarView.WorkWeek ? 7 : Days));

    public static DateOnly Today(DateTime nowUtc, TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(nowUtc, zone));

    private double Minutes(TimeSpan span) => Math.Round(span.TotalMinutes * PxPerMinute, 2);

    private DateTime Clamp(DateTime utc) => utc < StartUtc ? StartUtc : utc > EndUtc ? EndUtc : utc;

    private DateTime LocalMidnightToUtc(DateOnly day)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        // A few zones skip midnight itself on their change day; the day then starts at the first valid minute.
        while (Zone.IsInvalidTime(local)) local = local.AddMinutes(30);
        return TimeZoneInfo.ConvertTimeToUtc(local, Zone);
    }

    private static DateOnly Monday(DateOnly day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
}

/// <summary>A reservation as the calendar's drag preview sees it.</summary>
public sealed record PreviewBlock(int Id, string Title, DateTime StartUtc, DateTime EndUtc);

/// <summary>
/// The client-side conflict preview, written once in C# (tested here) and mirrored line by line in
/// CalendarPage.razor.js. It is a courtesy while dragging: the booking service decides.
/// </summary>
public static class ConflictPreview
{
    /// <summary>Why the candidate slot cannot be booked, or null when it looks free.</summary>
    public static string? Check(DateTime startUtc, DateTime endUtc, IEnumerable<PreviewBlock> laneBlocks, int? movingId,
        DateTime nowUtc, BookingOptions rules, TimeZoneInfo zone, string? laneClosedReason = null)
    {
        if (laneClosedReason is not null) return laneClosedReason;
        var duration = endUtc - startUtc;
        if (duration < rules.MinDuration) return $"Too short: at least {BookingRules.Describe(rules.MinDuration)}";
        if (duration > rules.MaxDuration) return $"Too long: at most {BookingRules.Describe(rules.MaxDuration)}";
        if (startUtc < nowUtc - rules.PastTolerance) return "Starts in the past";
        var buffer = rules.ChangeoverBuffer;
        foreach (var block in laneBlocks)
        {
            if (block.Id == movingId) continue;
            if (block.StartUtc < endUtc + buffer && block.EndUtc + buffer > startUtc)
                return $"Overlaps {block.Title} {Local(block.StartUtc, zone)}–{Local(block.EndUtc, zone)} (with the {BookingRules.Describe(buffer)} changeover)";
        }
        return null;
    }

    /// <summary>"14:05–15:35 · 1 h 30": the live label next to the ghost.</summary>
    public static string Label(DateTime startUtc, DateTime endUtc, TimeZoneInfo zone)
    {
        var minutes = (int)(endUtc - startUtc).TotalMinutes;
        var duration = minutes < 60 ? $"{minutes} min" : minutes % 60 == 0 ? $"{minutes / 60} h" : $"{minutes / 60} h {minutes % 60:00}";
        return $"{Local(startUtc, zone)}–{Local(endUtc, zone)} · {duration}";
    }

    public static DateTime Snap(DateTime utc, BookingOptions rules)
    {
        var grid = rules.Grid.Ticks;
        return new DateTime((utc.Ticks + grid / 2) / grid * grid, DateTimeKind.Utc);
    }

    private static string Local(DateTime utc, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone).ToString("HH:mm", CultureInfo.InvariantCulture);
}
