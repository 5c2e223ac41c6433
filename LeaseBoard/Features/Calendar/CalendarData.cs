using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;

namespace LeaseBoard.Features.Calendar;

/// <summary>What the calendar's JavaScript module needs for a drag, sent once per render (never asked for during a drag).</summary>
public sealed record CalendarScriptData(
    double ViewStart, double ViewEnd, double PxPerMinute, int GridMinutes, double Now, string Zone,
    CalendarScriptRules Rules, IReadOnlyList<CalendarScriptLane> Lanes)
{
    public static CalendarScriptData From(CalendarGeometry geometry, IReadOnlyList<EnvironmentRow> environments,
        ILookup<int, ReservationRow> reservations, ILookup<int, MaintenanceRow> maintenance, string? viewerId, bool isAdmin, DateTime nowUtc, BookingOptions rules) => new(
        Ms(geometry.StartUtc), Ms(geometry.EndUtc), geometry.PxPerMinute, rules.GridMinutes, Ms(nowUtc), geometry.Zone.Id,
        new CalendarScriptRules((int)rules.MinDuration.TotalMinutes, (int)rules.MaxDuration.TotalMinutes,
            (int)rules.ChangeoverBuffer.TotalMinutes, (int)rules.PastTolerance.TotalMinutes),
        environments.Select(e => new CalendarScriptLane(e.Key, e.Id, e.Name, ClosedReason(e),
            reservations[e.Id].Where(r => r.State.IsLive()).Select(r => new CalendarScriptBlock(
                r.Id, r.Title, r.OwnerName, Ms(r.StartUtc), Ms(r.EndUtc), r.State.ToString(),
                r.State == ReservationState.Scheduled && (isAdmin || r.OwnerId == viewerId)))
            // Maintenance time collides like a reservation; negative ids keep it apart from reservation ids.
            .Concat(maintenance[e.Id].Select(m => new CalendarScriptBlock(-m.Id, $"maintenance ({m.Reason})", "the admins'", Ms(m.StartUtc), Ms(m.EndUtc),
                "Maintenance", false))).ToList())).ToList());

    public static double Ms(DateTime utc) => (utc - DateTime.UnixEpoch).TotalMilliseconds;

    public static DateTime FromMs(double ms) => DateTime.SpecifyKind(DateTime.UnixEpoch.AddMilliseconds(ms), DateTimeKind.Utc);

    public static string? ClosedReason(EnvironmentRow environment) => environment.State switch
    {
        EnvironmentState.Quarantined => $"{environment.Name} is quarantined",
        EnvironmentState.Retired => $"{environment.Name} is retired",
        _ => null,
    };
}

public sealed record CalendarScriptRules(int MinMinutes, int MaxMinutes, int BufferMinutes, int PastToleranceMinutes);

public sealed record CalendarScriptLane(string Key, int Id, string Name, string? Closed, IReadOnlyList<CalendarScriptBlock> Blocks);

public sealed record CalendarScriptBlock(int Id, string Title, string Owner, double Start, double End, string State, bool Movable);

/// <summary>The answer to the module's one call after a move or resize.</summary>
public sealed record MoveAnswer(bool Ok, string Message);
