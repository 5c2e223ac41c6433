using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Features.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Notifications;

public sealed record NotificationRow(long Id, NotificationKind Kind, int? ReservationId, string Text, DateTime AtUtc, bool Read);

/// <summary>
/// Writes, reads and prunes the owners' notifications. One notification per (reservation, kind):
/// the lease engine's triggers may fire twice, and the owner should hear of a thing once.
/// </summary>
public sealed class NotificationService(IDbContextFactory<LeaseBoardDb> dbs, IOptionsMonitor<NotificationOptions> options, TimeProvider clock, BoardEvents events,
    WebhookOutbox webhooks)
{
    private readonly SemaphoreSlim _writes = new(1, 1);

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>Tells the reservation's owner; false when they were already told this about it.</summary>
    public async Task<bool> NotifyOwnerAsync(int reservationId, NotificationKind kind, string text, CancellationToken ct)
    {
        string? owner;
        await using (var db = await dbs.CreateDbContextAsync(ct))
            owner = await db.Reservations.Where(r => r.Id == reservationId).Select(r => r.OwnerId).FirstOrDefaultAsync(ct);
        return owner is not null && await NotifyAsync(owner, kind, reservationId, text, ct);
    }

    public async Task<bool> NotifyAsync(string userId, NotificationKind kind, int? reservationId, string text, CancellationToken ct)
    {
        await _writes.WaitAsync(ct);
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var once = reservationId is not null && !LeaseBoardDb.RepeatableNotificationKinds.Contains(kind);
            if (once && await db.Notifications.AnyAsync(n => n.UserId == userId && n.ReservationId == reservationId && n.Kind == kind, ct))
                return false;
            db.Notifications.Add(new Notification
            {
                UserId = userId, Kind = kind, ReservationId = reservationId, AtUtc = Now,
                Text = text.Length <= 1000 ? text : text[..999] + "…",
            });
            // In the same save: the message to the user's Slack or Teams is as durable as the notification itself.
            await webhooks.StageForUserAsync(db, userId, kind, text, ct);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException) when (once)
            {
                // Another instance wrote it between the check and the save: the unique index kept one.
                if (await AlreadyToldAsync(userId, reservationId, kind, ct)) return false;
                throw;
            }
        }
        finally
        {
            _writes.Release();
        }
        events.Publish(new NotificationsChanged(userId));
        return true;
    }

    private async Task<bool> AlreadyToldAsync(string userId, int? reservationId, NotificationKind kind, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Notifications.AnyAsync(n => n.UserId == userId && n.ReservationId == reservationId && n.Kind == kind, ct);
    }

    public async Task<int> UnreadCountAsync(string userId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Notifications.CountAsync(n => n.UserId == userId && n.ReadUtc == null, ct);
    }

    public async Task<List<NotificationRow>> LatestAsync(string userId, int take = 20, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Notifications.AsNoTracking().Where(n => n.UserId == userId)
            .OrderByDescending(n => n.AtUtc).ThenByDescending(n => n.Id).Take(take)
            .Select(n => new NotificationRow(n.Id, n.Kind, n.ReservationId, n.Text, n.AtUtc, n.ReadUtc != null))
            .ToListAsync(ct);
    }

    /// <summary>Marks all of the user's notifications read; only their own.</summary>
    public async Task MarkAllReadAsync(string userId, CancellationToken ct = default)
    {
        var now = Now;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var changed = await db.Notifications.Where(n => n.UserId == userId && n.ReadUtc == null)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadUtc, now), ct);
        if (changed > 0) events.Publish(new NotificationsChanged(userId));
    }

    /// <summary>"Ends in 10 minutes" for every running lease near its end, once each.</summary>
    public async Task<int> SendEndsSoonAsync(CancellationToken ct)
    {
        var now = Now;
        var soon = now + options.CurrentValue.EndsSoonLead;
        List<(int Id, string Title, DateTime EndUtc)> ending;
        await using (var db = await dbs.CreateDbContextAsync(ct))
            ending = (await db.Reservations.AsNoTracking()
                    .Where(r => r.State == ReservationState.Active && r.EndUtc > now && r.EndUtc <= soon)
                    .Select(r => new { r.Id, r.Title, r.EndUtc }).ToListAsync(ct))
                .Select(r => (r.Id, r.Title, r.EndUtc)).ToList();
        var sent = 0;
        foreach (var (id, title, endUtc) in ending)
        {
            var minutes = Math.Max(1, (int)Math.Ceiling((endUtc - now).TotalMinutes));
            if (await NotifyOwnerAsync(id, NotificationKind.EndsSoon, $"'{title}' ends in {minutes} minute{(minutes == 1 ? "" : "s")}: its test will be stopped at the end of the slot.", ct))
                sent++;
        }
        return sent;
    }

    /// <summary>Deletes notifications older than the retention.</summary>
    public async Task<int> PruneAsync(CancellationToken ct)
    {
        var before = Now - options.CurrentValue.Retention;
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Notifications.Where(n => n.AtUtc < before).ExecuteDeleteAsync(ct);
    }
}
