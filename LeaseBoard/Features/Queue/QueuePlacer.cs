using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.LiveUpdates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Queue;

/// <summary>
/// Places waiting queue entries into the calendar's gaps. A pass expires the entries whose must-finish-by can no
/// longer be met, then walks the waiting entries in fair-share order (<see cref="QueuePlan.FairOrder"/>) and books
/// each that fits now — start = now on the booking grid, for its whole duration, on an allowed environment — through
/// <see cref="BookingService.BookQueuedAsync"/>, i.e. the same <see cref="SlotGuard"/> as a person's booking, so a
/// placement can never overlap a booking made at the same moment: the guard decides, the in-memory picture only saves
/// calls. Passes run one at a time in this process (a pass asked for while one runs makes that one go round once
/// more); across instances the guard's row lock and the entry's conditional state change keep them safe, so a pass is
/// idempotent: running it twice places nothing twice.
/// </summary>
public sealed partial class QueuePlacer(
    IDbContextFactory<LeaseBoardDb> dbs,
    BookingService booking,
    IOptionsMonitor<BookingOptions> options,
    TimeProvider clock,
    BoardEvents events,
    ILogger<QueuePlacer> logger)
{
    private readonly SemaphoreSlim _pass = new(1, 1);
    private int _again;

    private BookingOptions Rules => options.CurrentValue;
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>
    /// Returns once a pass that began after this call has run: passes run one at a time, and a call that arrives while
    /// one runs asks it to go round once more and waits for the lock — the round the running pass added covers it, so it
    /// returns at once then. Never a request lost between a pass's last round and its release of the lock, and a supervise
    /// beat that calls this knows the queue was looked at in that beat.
    /// </summary>
    public async Task<QueuePassResult> RunPassAsync(CancellationToken ct = default)
    {
        Interlocked.Exchange(ref _again, 1);
        await _pass.WaitAsync(ct);
        try
        {
            var total = new QueuePassResult(0, 0, 0);
            while (Interlocked.Exchange(ref _again, 0) == 1)
            {
                var pass = await PassAsync(ct);
                total = new QueuePassResult(total.Placed + pass.Placed, total.Expired + pass.Expired, pass.StillWaiting);
            }
            return total;
        }
        finally
        {
            _pass.Release();
        }
    }

    /// <summary>Where a placement made at <paramref name="now"/> starts: the grid point before now when inside the booking's past tolerance, else the next.</summary>
    public static DateTime PlacementStart(DateTime now, BookingOptions rules)
    {
        var floor = BookingRules.FloorToGrid(now, rules);
        return now - floor <= rules.PastTolerance ? floor : BookingRules.CeilToGrid(now, rules);
    }

    private async Task<QueuePassResult> PassAsync(CancellationToken ct)
    {
        var now = Now;
        var rules = Rules;
        var start = PlacementStart(now, rules);
        var expired = await ExpireAsync(now, ct);

        List<QueueEntry> order;
        Board board;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var ready = await db.QueueEntries.AsNoTracking()
                .Where(e => e.State == QueueEntryState.Waiting && (e.NotBeforeUtc == null || e.NotBeforeUtc <= now)).ToListAsync(ct);
            if (ready.Count == 0) return new QueuePassResult(0, expired, 0);
            order = QueuePlan.FairOrder(ready, await LastServedAsync(db, now, ct));
            board = await LoadBoardAsync(db, start, start + rules.MaxDuration, rules.ChangeoverBuffer, ct);
        }

        var placed = 0;
        var limited = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in order)
        {
            if (limited.Contains(entry.OwnerId)) continue;
            var end = start + entry.Duration;
            foreach (var environmentId in board.Environments.Where(id => entry.Allows(id) && QueuePlan.IsFree(board.Busy, id, start, end, rules.ChangeoverBuffer)).ToList())
            {
                var result = await PlaceAsync(entry, environmentId, start, ct);
                if (result.Outcome == BookingOutcome.Booked)
                {
                    board.Busy.Add(new Busy(environmentId, start, end, IsMaintenance: false));
                    placed++;
                    break;
                }
                if (result.Outcome == BookingOutcome.LimitReached)
                {
                    limited.Add(entry.OwnerId);
                    await NoteAsync(entry.Id, $"Waiting: {result.Message}", ct);
                    break;
                }
                if (result.Outcome == BookingOutcome.NotFound) break; // cancelled, or placed by another instance meanwhile
                // Taken meanwhile (a person's booking won the lock) or out of service: this environment is done for this pass.
                board.Busy.Add(new Busy(environmentId, start, end, IsMaintenance: true));
                if (result.Outcome == BookingOutcome.Invalid) LogNotPlaced(entry.Id, environmentId, result.Message);
            }
        }
        var pass = new QueuePassResult(placed, expired, order.Count - placed);
        if (placed > 0 || expired > 0) LogPass(placed, expired, pass.StillWaiting);
        return pass;
    }

    private async Task<BookingResult> PlaceAsync(QueueEntry entry, int environmentId, DateTime start, CancellationToken ct)
    {
        var owner = new Actor(entry.OwnerId, entry.OwnerName, IsAdmin: false); // queued tests keep to their owner's limits
        var request = new BookingRequest(environmentId, start, entry.Duration, entry.Title, entry.TestKind, entry.TestSpec);
        var result = await booking.BookQueuedAsync(request, owner, async (db, reservation) =>
        {
            reservation.QueueEntryId = entry.Id;
            var now = Now;
            var marked = await db.QueueEntries.Where(e => e.Id == entry.Id && e.State == QueueEntryState.Waiting)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.State, QueueEntryState.Placed).SetProperty(e => e.ReservationId, reservation.Id)
                    .SetProperty(e => e.PlacedUtc, now).SetProperty(e => e.UpdatedUtc, now).SetProperty(e => e.Version, Guid.NewGuid())
                    .SetProperty(e => e.Outcome, $"Placed as reservation {reservation.Id} {TimeText.Utc(reservation.StartUtc)}–{TimeText.Utc(reservation.EndUtc)}."), ct);
            if (marked == 0) throw new StaleReservationException();
            db.AuditEntries.Add(AuditEntry.For(Actor.System, AuditActions.QueueEntryPlaced,
                $"Queue entry {entry.Id} '{entry.Title}' of {entry.OwnerName} placed as reservation {reservation.Id}.", clock, environmentId, reservation.Id));
            await db.SaveChangesAsync(ct);
        }, ct);
        if (result.Outcome == BookingOutcome.Booked)
        {
            LogPlaced(entry.Id, result.Reservation!.Id, environmentId);
            events.Publish(new QueueChanged(entry.Id, entry.OwnerId, QueueEntryState.Placed, result.Reservation.Id));
        }
        return result;
    }

    /// <summary>Entries whose must-finish-by can no longer be met; each changes state conditionally, so only one pass tells the owner.</summary>
    private async Task<int> ExpireAsync(DateTime now, CancellationToken ct)
    {
        var latest = now + Rules.MaxDuration; // no entry lasts longer, so none finishing later can be due
        await using var db = await dbs.CreateDbContextAsync(ct);
        var candidates = await db.QueueEntries.AsNoTracking()
            .Where(e => e.State == QueueEntryState.Waiting && e.MustFinishByUtc != null && e.MustFinishByUtc < latest).ToListAsync(ct);
        var expired = 0;
        foreach (var entry in candidates.Where(e => now + e.Duration > e.MustFinishByUtc))
        {
            var outcome = $"Expired: no gap of {BookingRules.Describe(entry.Duration)} opened in time to finish by {TimeText.Utc(entry.MustFinishByUtc!.Value)}.";
            var changed = await db.QueueEntries.Where(e => e.Id == entry.Id && e.State == QueueEntryState.Waiting)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.State, QueueEntryState.Expired).SetProperty(e => e.Outcome, outcome)
                    .SetProperty(e => e.UpdatedUtc, now).SetProperty(e => e.Version, Guid.NewGuid()), ct);
            if (changed == 0) continue;
            db.AuditEntries.Add(AuditEntry.For(Actor.System, AuditActions.QueueEntryExpired, $"Queue entry {entry.Id} '{entry.Title}' of {entry.OwnerName}: {outcome}", clock));
            await db.SaveChangesAsync(ct);
            expired++;
            events.Publish(new QueueChanged(entry.Id, entry.OwnerId, QueueEntryState.Expired));
        }
        return expired;
    }

    private async Task NoteAsync(int entryId, string outcome, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await db.QueueEntries.Where(e => e.Id == entryId && e.State == QueueEntryState.Waiting && e.Outcome != outcome)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Outcome, outcome), ct);
    }

    /// <summary>Each owner's latest placement in the last day: the fair share serves the least recently served first.</summary>
    public static async Task<Dictionary<string, DateTime>> LastServedAsync(LeaseBoardDb db, DateTime now, CancellationToken ct)
    {
        var since = now - TimeSpan.FromDays(1);
        var rows = await db.QueueEntries.AsNoTracking().Where(e => e.State == QueueEntryState.Placed && e.PlacedUtc >= since)
            .GroupBy(e => e.OwnerId).Select(g => new { Owner = g.Key, Last = g.Max(e => e.PlacedUtc) }).ToListAsync(ct);
        return rows.ToDictionary(r => r.Owner, r => r.Last!.Value, StringComparer.Ordinal);
    }

    /// <summary>The bookable environments (in board order) and what takes their time between <paramref name="fromUtc"/> and <paramref name="toUtc"/>.</summary>
    public sealed record Board(List<int> Environments, List<Busy> Busy);

    public static async Task<Board> LoadBoardAsync(LeaseBoardDb db, DateTime fromUtc, DateTime toUtc, TimeSpan buffer, CancellationToken ct)
    {
        var environments = await db.Environments.AsNoTracking()
            .Where(e => e.State != EnvironmentState.Quarantined && e.State != EnvironmentState.Retired)
            .OrderBy(e => e.SortOrder).Select(e => e.Id).ToListAsync(ct);
        var (from, to) = (fromUtc - buffer, toUtc + buffer);
        var reservations = await db.Reservations.AsNoTracking()
            .Where(r => ReservationStates.Live.Contains(r.State) && r.EndUtc > from && r.StartUtc < to)
            .Select(r => new { r.EnvironmentId, r.StartUtc, r.EndUtc }).ToListAsync(ct);
        var maintenance = await db.MaintenanceWindows.AsNoTracking().Where(m => m.EndUtc > from && m.StartUtc < to)
            .Select(m => new { m.EnvironmentId, m.StartUtc, m.EndUtc }).ToListAsync(ct);
        return new Board(environments,
            [.. reservations.Select(r => new Busy(r.EnvironmentId, r.StartUtc, r.EndUtc, false)), .. maintenance.Select(m => new Busy(m.EnvironmentId, m.StartUtc, m.EndUtc, true))]);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Queue entry {EntryId} placed as reservation {ReservationId} on environment {EnvironmentId}")]
    private partial void LogPlaced(int entryId, int reservationId, int environmentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Queue entry {EntryId} not placed on environment {EnvironmentId}: {Reason}")]
    private partial void LogNotPlaced(int entryId, int environmentId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Queue pass: {Placed} placed, {Expired} expired, {Waiting} still waiting")]
    private partial void LogPass(int placed, int expired, int waiting);
}
