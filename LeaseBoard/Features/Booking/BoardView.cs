using LeaseBoard.Domain;

namespace LeaseBoard.Features.Booking;

/// <summary>The latest run of a running lease, as the calendar's lane header needs it to tell a hung run.</summary>
public sealed record BoardRun(int ReservationId, int EnvironmentId, TestRunState State, int ProgressPercent,
    DateTime StartedUtc, DateTime? LastHeartbeatUtc, RunStopReason? StopReason);

/// <summary>
/// One immutable picture of the board: the environments, every reservation overlapping
/// <c>[FromUtc, ToUtc)</c> (and every running lease whatever its times), the maintenance windows of that
/// window and the runs of the running leases. Pages filter it in memory; only a period outside the window
/// needs a query of its own.
/// </summary>
public sealed class BoardView
{
    public required IReadOnlyList<EnvironmentRow> Environments { get; init; }
    /// <summary>Ordered by start.</summary>
    public required IReadOnlyList<ReservationRow> Reservations { get; init; }
    public required IReadOnlyList<(int EnvironmentId, MaintenanceRow Window)> Maintenance { get; init; }
    public required IReadOnlyDictionary<int, BoardRun> Runs { get; init; }
    public required DateTime FromUtc { get; init; }
    public required DateTime ToUtc { get; init; }
    public required long Version { get; init; }

    public static readonly BoardView Empty = new()
    {
        Environments = [], Reservations = [], Maintenance = [], Runs = new Dictionary<int, BoardRun>(), FromUtc = DateTime.MaxValue, ToUtc = DateTime.MinValue, Version = 0,
    };

    /// <summary>Does the window hold everything of <c>[fromUtc, toUtc)</c>?</summary>
    public bool Covers(DateTime fromUtc, DateTime toUtc) => fromUtc >= FromUtc && toUtc <= ToUtc;

    /// <summary>Reservations overlapping <c>[fromUtc, toUtc)</c>, like <see cref="ReservationQueries.BetweenAsync"/>; the caller checks <see cref="Covers"/>.</summary>
    public List<ReservationRow> Between(DateTime fromUtc, DateTime toUtc) =>
        Reservations.Where(r => r.StartUtc < toUtc && r.EndUtc > fromUtc).ToList();

    public List<(int EnvironmentId, MaintenanceRow Window)> MaintenanceBetween(DateTime fromUtc, DateTime toUtc) =>
        Maintenance.Where(m => m.Window.EndUtc > fromUtc && m.Window.StartUtc < toUtc).ToList();

    /// <summary>The running leases, like <see cref="ReservationQueries.ActiveAsync"/>.</summary>
    public IEnumerable<ReservationRow> Active => Reservations.Where(r => r.State == ReservationState.Active);

    public BoardRun? RunOf(int reservationId) => Runs.GetValueOrDefault(reservationId);
}

public enum BoardChangeKind
{
    /// <summary>Reservations or environments changed: a reload.</summary>
    Board,
    /// <summary>Only run progress moved, patched in place: re-render only what shows progress.</summary>
    Progress,
}

/// <summary>
/// What a new <see cref="BoardView"/> changed, so a page can skip what it does not show: the environments and
/// the owners of the reservations that differ. <see cref="OutsideWindow"/> says a changed reservation lies
/// outside the window (its owner unknown): a page that also shows such reservations re-reads its own part.
/// </summary>
public sealed record BoardChange(BoardChangeKind Kind, BoardView View, IReadOnlySet<int> EnvironmentIds, IReadOnlySet<string> OwnerIds, bool OutsideWindow)
{
    public bool Touches(string? ownerId) => OutsideWindow || (ownerId is not null && OwnerIds.Contains(ownerId));
}
