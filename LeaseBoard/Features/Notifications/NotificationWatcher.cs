using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.LiveUpdates;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Features.Notifications;

/// <summary>
/// Tells owners what the lease engine and environment care did to their reservations. It listens to
/// the board events those already publish after each committed transition and reads the state from
/// the database, so the engine stays free of notification code (and of a second reason to fail a
/// save). The cost: a notification is written just after the transition, not in its transaction — an
/// app crash in between loses it, which for an in-app hint is acceptable.
/// </summary>
public sealed partial class NotificationWatcher(IDbContextFactory<LeaseBoardDb> dbs, NotificationService notifications, BoardEvents events,
    ILogger<NotificationWatcher> logger) : BoardEventSubscriber(events)
{
    protected override Task OnEventAsync(BoardEvent boardEvent) => boardEvent switch
    {
        QueueChanged { IsLocal: true, State: QueueEntryState.Placed or QueueEntryState.Expired } queue => Task.Run(() => HandleQueueAsync(queue)),
        _ when Handles(boardEvent) => Task.Run(() => HandleAsync((ReservationChanged)boardEvent)),
        _ => Task.CompletedTask,
    };

    /// <summary>
    /// Tells a queue entry's owner that it was placed (once per reservation, like every reservation notification) or
    /// that it expired (the entry's conditional change to Expired happens once, so this is published once).
    /// </summary>
    public async Task HandleQueueAsync(QueueChanged changed)
    {
        try
        {
            QueueEntry? entry;
            string? environment = null;
            await using (var db = await dbs.CreateDbContextAsync())
            {
                entry = await db.QueueEntries.AsNoTracking().FirstOrDefaultAsync(e => e.Id == changed.EntryId);
                if (entry?.ReservationId is { } placed)
                    environment = await db.Reservations.Where(r => r.Id == placed).Select(r => r.Environment!.Name).FirstOrDefaultAsync();
            }
            if (entry is null) return;
            if (entry.State == QueueEntryState.Placed && entry.ReservationId is { } reservationId)
                await notifications.NotifyAsync(entry.OwnerId, NotificationKind.QueuePlaced, reservationId,
                    $"Queued '{entry.Title}' got a slot on {environment}: {entry.Outcome}", CancellationToken.None);
            else if (entry.State == QueueEntryState.Expired)
                await notifications.NotifyAsync(entry.OwnerId, NotificationKind.QueueExpired, null, $"Queued '{entry.Title}': {entry.Outcome}", CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogQueueFailed(e, changed.EntryId);
        }
    }

    /// <summary>
    /// The changes owners hear of, published by this instance: an event relayed from another instance was
    /// handled there, and N instances must not send N copies.
    /// </summary>
    public static bool Handles(BoardEvent boardEvent) =>
        boardEvent is ReservationChanged { IsLocal: true, Change: ReservationChange.Started or ReservationChange.Ended or ReservationChange.ForceReleased
            or ReservationChange.Relocated or ReservationChange.AtRisk or ReservationChange.CancelledByOther };

    /// <summary>Writes the notification a reservation change calls for, if any (public for tests).</summary>
    public async Task HandleAsync(ReservationChanged changed)
    {
        try
        {
            Reservation? reservation;
            TestRunState? lastRun;
            RunAttribution? attribution;
            string? relocationNote = null;
            await using (var db = await dbs.CreateDbContextAsync())
            {
                reservation = await db.Reservations.AsNoTracking().Include(r => r.Environment).FirstOrDefaultAsync(r => r.Id == changed.ReservationId);
                var run = await db.TestRuns.Where(r => r.ReservationId == changed.ReservationId).OrderByDescending(r => r.Id)
                    .Select(r => new { r.State, r.Attribution }).FirstOrDefaultAsync();
                (lastRun, attribution) = (run?.State, run?.Attribution);
                // A move's note is its audit entry (written with the outcome, in one save): the outcome itself may be gone by
                // now, cleared by the lease's start a moment after a move at the start.
                if (changed.Change is ReservationChange.Relocated or ReservationChange.AtRisk)
                {
                    var action = changed.Change == ReservationChange.Relocated ? AuditActions.ReservationRelocated : AuditActions.ReservationAtRisk;
                    relocationNote = await db.AuditEntries.Where(a => a.ReservationId == changed.ReservationId && a.Action == action)
                        .OrderByDescending(a => a.Id).Select(a => a.Details).FirstOrDefaultAsync();
                }
            }
            if (reservation is null) return;
            var title = $"'{reservation.Title}' on {reservation.Environment?.Name}";
            (NotificationKind Kind, string Text)? message = changed.Change switch
            {
                ReservationChange.Started => (NotificationKind.LeaseStarted, $"{title} started."),
                ReservationChange.ForceReleased => (NotificationKind.ForceReleased, $"{title}: {reservation.Outcome}"),
                ReservationChange.Ended when reservation.State == ReservationState.ForceReleased => (NotificationKind.ForceReleased, $"{title}: {reservation.Outcome}"),
                ReservationChange.Ended when attribution == RunAttribution.Infrastructure => (NotificationKind.EnvironmentFailed, $"{title} failed: {reservation.Outcome}"),
                ReservationChange.Ended when reservation.State == ReservationState.TimedOut => (NotificationKind.TimedOut, $"{title} timed out: {reservation.Outcome}"),
                ReservationChange.Ended when lastRun == TestRunState.Hung => (NotificationKind.Hung, $"{title} hung: {reservation.Outcome}"),
                ReservationChange.Relocated => (NotificationKind.Moved, $"{title}: {relocationNote ?? reservation.Outcome}"),
                ReservationChange.AtRisk => (NotificationKind.AtRisk, $"{title}: {relocationNote ?? reservation.Outcome}"),
                ReservationChange.CancelledByOther => (NotificationKind.Cancelled, $"{title}: {reservation.Outcome}"),
                _ => null,
            };
            if (message is { } m) await notifications.NotifyAsync(reservation.OwnerId, m.Kind, reservation.Id, m.Text, CancellationToken.None);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogFailed(e, changed.ReservationId, changed.Change);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No notification for queue entry {EntryId}")]
    private partial void LogQueueFailed(Exception exception, int entryId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No notification for reservation {ReservationId} ({Change})")]
    private partial void LogFailed(Exception exception, int reservationId, ReservationChange change);
}
