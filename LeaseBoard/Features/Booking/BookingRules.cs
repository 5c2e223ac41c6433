using LeaseBoard.Domain;

namespace LeaseBoard.Features.Booking;

/// <summary>The checks of a requested slot that need no database: pure functions of the options and the clock.</summary>
public static class BookingRules
{
    public static string? CheckTimes(DateTime startUtc, DateTime endUtc, DateTime nowUtc, BookingOptions options)
    {
        if (startUtc.Kind != DateTimeKind.Utc || endUtc.Kind != DateTimeKind.Utc)
            throw new ArgumentException("Reservation times must be UTC.");

        if (CheckDuration(endUtc - startUtc, options) is { } durationProblem)
            return durationProblem;
        if (!OnGrid(startUtc, options) || !OnGrid(endUtc, options))
            return $"Start and end must fall on the {options.GridMinutes}-minute grid (for example 14:00, 14:05, 14:10).";
        if (startUtc < nowUtc - options.PastTolerance)
            return "The start lies in the past. Pick a start from now on.";
        if (startUtc > nowUtc + options.Horizon)
            return $"Reservations can be made at most {Describe(options.Horizon)} ahead.";
        return null;
    }

    public static string? CheckDuration(TimeSpan duration, BookingOptions options)
    {
        if (duration <= TimeSpan.Zero)
            return "The end must lie after the start.";
        if (duration < options.MinDuration)
            return $"A reservation must last at least {Describe(options.MinDuration)}; this one lasts {Describe(duration)}.";
        if (duration > options.MaxDuration)
            return $"A reservation may last at most {Describe(options.MaxDuration)}; this one lasts {Describe(duration)}.";
        return null;
    }

    public static string? CheckText(string? title, string? testSpec)
    {
        if (string.IsNullOrWhiteSpace(title))
            return "Give the reservation a title, so others know what runs there.";
        if (title.Length > Rules.TitleMaxLength)
            return $"The title may have at most {Rules.TitleMaxLength} characters; it has {title.Length}.";
        if (HasControlCharacter(title.Trim(), allowLineBreaks: false))
            return "The title may not contain control characters such as tabs, line breaks or NUL.";
        if (testSpec is { Length: > Rules.TestSpecMaxLength })
            return $"The test spec may have at most {Rules.TestSpecMaxLength} characters; it has {testSpec.Length}.";
        if (testSpec is not null && HasControlCharacter(testSpec, allowLineBreaks: true))
            return "The test spec may not contain control characters such as NUL or BEL; tabs and line breaks are fine.";
        return null;
    }

    /// <summary>
    /// Any control character (NUL, BEL, escape, …) or Unicode line/paragraph separator; with
    /// <paramref name="allowLineBreaks"/>, tab, CR and LF pass (multi-line text). The title is checked trimmed, as it
    /// is stored: whitespace around it is dropped, not refused.
    /// </summary>
    public static bool HasControlCharacter(string text, bool allowLineBreaks)
    {
        foreach (var c in text)
        {
            if (allowLineBreaks && c is '\t' or '\r' or '\n') continue;
            if (char.IsControl(c) || c is '\u2028' or '\u2029') return true;
        }
        return false;
    }

    public static bool OnGrid(DateTime instant, BookingOptions options) => instant.Ticks % options.Grid.Ticks == 0;

    /// <summary>The first grid point at or after <paramref name="instant"/>.</summary>
    public static DateTime CeilToGrid(DateTime instant, BookingOptions options)
    {
        var grid = options.Grid.Ticks;
        var remainder = instant.Ticks % grid;
        return remainder == 0 ? instant : new DateTime(instant.Ticks - remainder + grid, instant.Kind);
    }

    /// <summary>The grid point at or before <paramref name="instant"/>.</summary>
    public static DateTime FloorToGrid(DateTime instant, BookingOptions options) =>
        new(instant.Ticks - instant.Ticks % options.Grid.Ticks, instant.Kind);

    /// <summary>Monday 00:00 UTC of the week that holds <paramref name="instant"/>: the per-user weekly limit counts in these weeks.</summary>
    public static DateTime WeekStart(DateTime instant)
    {
        var daysSinceMonday = ((int)instant.DayOfWeek + 6) % 7;
        return DateTime.SpecifyKind(instant.Date.AddDays(-daysSinceMonday), DateTimeKind.Utc);
    }

    public static string Describe(TimeSpan span)
    {
        if (span.TotalDays >= 1 && span.Ticks % TimeSpan.TicksPerDay == 0) return Plural((int)span.TotalDays, "day");
        var hours = (int)span.TotalHours;
        var minutes = span.Minutes;
        return (hours, minutes) switch
        {
            (0, _) => Plural((int)Math.Round(span.TotalMinutes), "minute"),
            (_, 0) => Plural(hours, "hour"),
            _ => $"{hours} h {minutes} min",
        };
    }

    private static string Plural(int n, string unit) => n == 1 ? $"1 {unit}" : $"{n} {unit}s";
}
