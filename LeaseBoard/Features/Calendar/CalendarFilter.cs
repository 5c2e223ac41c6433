using LeaseBoard.Features.Booking;

namespace LeaseBoard.Features.Calendar;

/// <summary>The calendar's "Only mine" and search filters: which blocks show, which are dimmed, and the count the search box reports.</summary>
public static class CalendarFilter
{
    /// <summary>The search text as it is matched: trimmed, and null when there is nothing to match.</summary>
    public static string? Normalize(string? search) => string.IsNullOrWhiteSpace(search) ? null : search.Trim();

    /// <summary>True when there is no search, or the owner's display name or the title contains it (case-insensitive).</summary>
    public static bool Matches(ReservationRow reservation, string? search) => Normalize(search) is not { } text
        || reservation.Title.Contains(text, StringComparison.CurrentCultureIgnoreCase)
        || reservation.OwnerName.Contains(text, StringComparison.CurrentCultureIgnoreCase);

    /// <summary>Whether a block is drawn at all: with "Only mine" on, only the viewer's own reservations are.</summary>
    public static bool Shown(ReservationRow reservation, bool onlyMine, string? viewerId) => !onlyMine || reservation.OwnerId == viewerId;

    /// <summary>"3 matches", "1 match" or "No reservations match "x"".</summary>
    public static string CountText(int matches, string search) => matches switch
    {
        0 => $"No reservations match \"{Normalize(search)}\"",
        1 => "1 match",
        _ => $"{matches} matches",
    };

    /// <summary>"starts in 25 min", "starts in 2 h 5 min"; a reservation whose start has come (its lease is starting) "starts now".</summary>
    public static string StartsIn(TimeSpan until)
    {
        var minutes = (int)Math.Ceiling(until.TotalMinutes);
        if (minutes <= 0) return "starts now";
        var (h, m) = (minutes / 60, minutes % 60);
        return h == 0 ? $"starts in {m} min" : m == 0 ? $"starts in {h} h" : $"starts in {h} h {m} min";
    }
}
