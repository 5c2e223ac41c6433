using LeaseBoard.Data;
using LeaseBoard.Domain;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Features.Webhooks;

/// <summary>A webhook as the settings page shows it: the hint, never the URL.</summary>
public sealed record WebhookRow(int Id, ChatService Service, string UrlHint, string? ChannelTarget, string Kinds, DateTime CreatedUtc,
    DateTime? LastAttemptUtc, bool? LastSucceeded, string? LastResult, bool UnusualHost);

/// <summary>Adding, changing, testing and deleting webhooks. Who may do what is decided here, not only in the page.</summary>
public sealed class WebhookSettings(IDbContextFactory<LeaseBoardDb> dbs, WebhookDeliverer deliverer, TimeProvider clock)
{
    public const int MaxPerUser = 10;

    public async Task<List<WebhookRow>> ListMineAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Rows(db.Webhooks.Where(w => w.OwnerId == actor.Id), ct);
    }

    /// <summary>The channel webhooks, for admins; nobody else sees them.</summary>
    public async Task<List<WebhookRow>> ListChannelsAsync(Actor actor, CancellationToken ct = default)
    {
        if (!actor.IsAdmin) return [];
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Rows(db.Webhooks.Where(w => w.OwnerId == null), ct);
    }

    /// <summary>Adds a personal webhook (no <paramref name="channelTarget"/>) or, for an admin, a channel one; the answer is the row or a sentence.</summary>
    public async Task<(WebhookRow? Row, string? Error)> AddAsync(Actor actor, ChatService service, string? url, string kinds, string? channelTarget = null,
        CancellationToken ct = default)
    {
        if (channelTarget is not null && !actor.IsAdmin) return (null, "Only admins add channel webhooks.");
        if (WebhookUrls.Problem(url) is { } problem) return (null, problem);
        var cleanKinds = channelTarget is null ? Webhook.JoinKinds(Webhook.ParseKinds<NotificationKind>(kinds)) : Webhook.JoinKinds(Webhook.ParseKinds<ChannelEvent>(kinds));
        if (cleanKinds.Length == 0) return (null, "Choose at least one kind of message for this webhook.");
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (channelTarget is not null && channelTarget != Webhook.AllEnvironments && !await db.Environments.AnyAsync(e => e.Key == channelTarget, ct))
            return (null, $"There is no environment '{channelTarget}'.");
        if (channelTarget is null && await db.Webhooks.CountAsync(w => w.OwnerId == actor.Id, ct) >= MaxPerUser)
            return (null, $"You have {MaxPerUser} webhooks already: delete one first.");
        var hook = new Webhook
        {
            OwnerId = channelTarget is null ? actor.Id : null, ChannelTarget = channelTarget, CreatedBy = actor.Id, Service = service,
            ProtectedUrl = deliverer.Protect(url!), UrlHint = WebhookUrls.Hint(url!), Kinds = cleanKinds, CreatedUtc = clock.GetUtcNow().UtcDateTime,
        };
        db.Webhooks.Add(hook);
        if (hook.IsChannel) db.AuditEntries.Add(AuditEntry.For(actor, AuditActions.ChannelWebhookAdded, Describe(hook), clock));
        await db.SaveChangesAsync(ct);
        return (ToRow(hook, WebhookUrls.IsUsualHost(service, url!)), null);
    }

    public async Task<string?> SetKindsAsync(Actor actor, int id, string kinds, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var hook = await db.Webhooks.FirstOrDefaultAsync(w => w.Id == id, ct);
        if (hook is null || !MayChange(actor, hook)) return "That webhook is not yours to change (or was deleted).";
        var clean = hook.IsChannel ? Webhook.JoinKinds(Webhook.ParseKinds<ChannelEvent>(kinds)) : Webhook.JoinKinds(Webhook.ParseKinds<NotificationKind>(kinds));
        if (clean.Length == 0) return "Keep at least one kind, or delete the webhook.";
        hook.Kinds = clean;
        await db.SaveChangesAsync(ct);
        return null;
    }

    public async Task<bool> DeleteAsync(Actor actor, int id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var hook = await db.Webhooks.FirstOrDefaultAsync(w => w.Id == id, ct);
        if (hook is null || !MayChange(actor, hook)) return false;
        db.Webhooks.Remove(hook); // its deliveries go with it (cascade)
        if (hook.IsChannel) db.AuditEntries.Add(AuditEntry.For(actor, AuditActions.ChannelWebhookDeleted, Describe(hook), clock));
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>Posts a test message now, through the same sender as every delivery, and answers with what the service said.</summary>
    public async Task<WebhookSendResult> SendTestAsync(Actor actor, int id, CancellationToken ct = default)
    {
        Webhook? hook;
        await using (var db = await dbs.CreateDbContextAsync(ct))
            hook = await db.Webhooks.AsNoTracking().FirstOrDefaultAsync(w => w.Id == id, ct);
        if (hook is null || !MayChange(actor, hook)) return new WebhookSendResult(WebhookOutcome.Rejected, "That webhook is not yours to test (or was deleted).");
        return await deliverer.SendTestAsync(hook, ct);
    }

    /// <summary>What a channel webhook may watch: every environment, or one.</summary>
    public async Task<List<(string Key, string Name)>> ChannelTargetsAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var environments = await db.Environments.AsNoTracking().Where(e => e.State != EnvironmentState.Retired).OrderBy(e => e.SortOrder)
            .Select(e => new { e.Key, e.Name }).ToListAsync(ct);
        return [(Webhook.AllEnvironments, "All environments"), .. environments.Select(e => (e.Key, e.Name))];
    }

    /// <summary>The kinds a webhook can choose, with their words: notification kinds for a person's, quarantines for a channel's.</summary>
    public static IReadOnlyList<(string Value, string Label)> KindChoices(bool channel) => channel
        ? [(nameof(ChannelEvent.Quarantined), "quarantined"), (nameof(ChannelEvent.NeedsAttention), "needs attention")]
        : Enum.GetValues<NotificationKind>().Select(k => (k.ToString(), WebhookOutbox.Label(k))).ToList();

    private static string Describe(Webhook hook) =>
        $"{hook.Service} webhook {hook.UrlHint} for {(hook.ChannelTarget == Webhook.AllEnvironments ? "all environments" : hook.ChannelTarget)}: {hook.Kinds}";

    private static bool MayChange(Actor actor, Webhook hook) => hook.IsChannel ? actor.IsAdmin : hook.OwnerId == actor.Id;

    private static async Task<List<WebhookRow>> Rows(IQueryable<Webhook> hooks, CancellationToken ct) =>
        (await hooks.AsNoTracking().OrderBy(w => w.CreatedUtc).ThenBy(w => w.Id).ToListAsync(ct)).Select(h => ToRow(h, null)).ToList();

    private static WebhookRow ToRow(Webhook h, bool? usualHost) =>
        new(h.Id, h.Service, h.UrlHint, h.ChannelTarget, h.Kinds, h.CreatedUtc, h.LastAttemptUtc, h.LastSucceeded, h.LastResult, usualHost == false);
}
