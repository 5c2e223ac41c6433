using LeaseBoard.Data;
using LeaseBoard.Domain;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Features.Webhooks;

/// <summary>
/// Writes the messages webhooks are owed as outbox rows: a person's in the same save as the notification
/// (so a restart, or Hangfire's in-memory queue on SQLite, cannot lose one), a channel's once per quarantine
/// (the unique (webhook, dedupe key) keeps one however many instances saw it). Sending is the delivery job's.
/// </summary>
public sealed class WebhookOutbox(IDbContextFactory<LeaseBoardDb> dbs, TimeProvider clock)
{
    /// <summary>Adds, to <paramref name="db"/>'s pending changes, a delivery for each of the user's webhooks that wants this kind.</summary>
    public async Task StageForUserAsync(LeaseBoardDb db, string userId, NotificationKind kind, string text, CancellationToken ct)
    {
        var hooks = await db.Webhooks.AsNoTracking().Where(w => w.OwnerId == userId).Select(w => new { w.Id, w.Kinds }).ToListAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var hook in hooks.Where(h => Webhook.ParseKinds<NotificationKind>(h.Kinds).Contains(kind)))
            db.WebhookDeliveries.Add(NewDelivery(hook.Id, "n:" + Guid.NewGuid().ToString("N"), Title(kind), text, now));
    }

    /// <summary>
    /// Writes the channel messages an environment's quarantine calls for, once per quarantine; returns the ids
    /// written now (none when another instance, or an earlier event, wrote them already).
    /// </summary>
    public async Task<IReadOnlyList<long>> WriteForQuarantineAsync(int environmentId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var environment = await db.Environments.AsNoTracking().FirstOrDefaultAsync(e => e.Id == environmentId, ct);
        if (environment is not { State: EnvironmentState.Quarantined, QuarantinedAtUtc: { } since }) return [];
        var channelEvent = TestEnvironment.ReasonNeedsAttention(environment.QuarantineReason) ? ChannelEvent.NeedsAttention : ChannelEvent.Quarantined;
        var key = $"quarantine:{environment.Id}:{since:O}";
        var hooks = await db.Webhooks.AsNoTracking()
            .Where(w => w.OwnerId == null && (w.ChannelTarget == Webhook.AllEnvironments || w.ChannelTarget == environment.Key))
            .Select(w => new { w.Id, w.Kinds }).ToListAsync(ct);
        var wanted = hooks.Where(h => Webhook.ParseKinds<ChannelEvent>(h.Kinds).Contains(channelEvent)).Select(h => h.Id).ToList();
        if (wanted.Count == 0) return [];
        var already = await db.WebhookDeliveries.Where(d => wanted.Contains(d.WebhookId) && d.DedupeKey == key).Select(d => d.WebhookId).ToListAsync(ct);
        var (title, text) = channelEvent == ChannelEvent.NeedsAttention
            ? ($"{environment.Name} needs attention", environment.QuarantineReason ?? "")
            : ($"{environment.Name} quarantined", $"{environment.QuarantineReason} (by {environment.QuarantinedBy})");
        var now = clock.GetUtcNow().UtcDateTime;
        var written = new List<long>();
        foreach (var hookId in wanted.Except(already))
        {
            var delivery = NewDelivery(hookId, key, title, text, now);
            db.WebhookDeliveries.Add(delivery);
            try
            {
                await db.SaveChangesAsync(ct);
                written.Add(delivery.Id);
            }
            catch (DbUpdateException)
            {
                // Another instance wrote this one between the check and the save: the unique index kept one.
                db.Entry(delivery).State = EntityState.Detached;
            }
        }
        return written;
    }

    public static WebhookDelivery NewDelivery(int webhookId, string key, string title, string text, DateTime now) => new()
    {
        WebhookId = webhookId, DedupeKey = key, CreatedUtc = now, NextAttemptUtc = now, State = WebhookDeliveryState.Pending,
        Title = title.Length <= 200 ? title : title[..199] + "…",
        Text = text.Length <= 1000 ? text : text[..999] + "…",
    };

    /// <summary>The message's heading, per kind: what the person hears first in the chat.</summary>
    public static string Title(NotificationKind kind) => kind switch
    {
        NotificationKind.LeaseStarted => "Your lease started",
        NotificationKind.EndsSoon => "Your lease ends soon",
        NotificationKind.Hung => "Your test hung",
        NotificationKind.TimedOut => "Your test ran out of time",
        NotificationKind.ForceReleased => "Your lease was force-released",
        NotificationKind.Moved => "Your booking was moved",
        NotificationKind.AtRisk => "Your booking is at risk",
        NotificationKind.Cancelled => "Your booking was cancelled",
        NotificationKind.QueuePlaced => "Your queued test got a slot",
        NotificationKind.QueueExpired => "Your queued test expired",
        NotificationKind.EnvironmentFailed => "The environment failed under your test",
        _ => kind.ToString(),
    };

    /// <summary>The words for each kind on the settings page.</summary>
    public static string Label(NotificationKind kind) => kind switch
    {
        NotificationKind.LeaseStarted => "lease started",
        NotificationKind.EndsSoon => "ends soon",
        NotificationKind.Hung => "test hung",
        NotificationKind.TimedOut => "timed out",
        NotificationKind.ForceReleased => "force-released",
        NotificationKind.Moved => "booking moved",
        NotificationKind.AtRisk => "booking at risk",
        NotificationKind.Cancelled => "cancelled by someone else",
        NotificationKind.QueuePlaced => "queue placed",
        NotificationKind.QueueExpired => "queue expired",
        NotificationKind.EnvironmentFailed => "environment failed",
        _ => kind.ToString(),
    };
}
