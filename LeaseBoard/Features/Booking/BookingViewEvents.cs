using LeaseBoard.Features.LiveUpdates;

namespace LeaseBoard.Features.Booking;

/// <summary>
/// Which board events the booking views (calendar, /book, My reservations) act on, and how: a reservation
/// or environment change re-reads the view; a run's progress is patched into the rows already shown, with
/// no query; anything else (another user's notifications) is not theirs to react to.
/// </summary>
public static class BookingViewEvents
{
    public static bool ChangesBookings(this BoardEvent boardEvent) => boardEvent is ReservationChanged or EnvironmentChanged;

    /// <summary>The rows with the run's progress and state put in; null when none of them is that run's reservation.</summary>
    public static List<ReservationRow>? WithProgress(this IEnumerable<ReservationRow> rows, RunProgressed progress)
    {
        var found = false;
        var patched = rows.Select(r =>
        {
            if (r.Id != progress.ReservationId) return r;
            found = true;
            return r with { RunProgress = progress.ProgressPercent, RunState = progress.State };
        }).ToList();
        return found ? patched : null;
    }

    /// <summary>One row with the run's progress put in, when it is that run's reservation.</summary>
    public static ReservationRow? WithProgress(this ReservationRow? row, RunProgressed progress) =>
        row is not null && row.Id == progress.ReservationId ? row with { RunProgress = progress.ProgressPercent, RunState = progress.State } : row;
}
