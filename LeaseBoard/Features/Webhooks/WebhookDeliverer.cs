using System.Security.Cryptography;
using Hangfire;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Webhooks;

/// <summary>
/// The delivery jobs. <see cref="DeliverAsync"/> is fenced: it re-reads the row, acts only on a pending, due
/// delivery, and claims the attempt with a conditional update before it posts, so a job that runs twice (Hangfire
/// is at-least-once, the sweep may meet the first-attempt job) posts once. A crash after the claim leaves the row
/// due again once the claim's lease has passed.
/// </summary>
public sealed partial class WebhookDeliverer(IDbContextFactory<LeaseBoardDb> dbs, WebhookSender sender, IDataProtectionProvider protection,
    IOptionsMonitor<WebhookOptions> options, TimeProvider clock, ILogger<WebhookDeliverer> logger)
{
    public const string SweepJobId = "webhook-deliveries";
    public const string ProtectorPurpose = "LeaseBoard.Webhooks";
    private const int SweepBatch = 50;

    private DateTime Now => clock.GetUtcNow().UtcDateTime;
    private IDataProtector Protector => protection.CreateProtector(ProtectorPurpose);

    /// <summary>One attempt at one delivery; the outcome is recorded on the delivery and as the webhook's last result.</summary>
    [AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Delete)] // the back-off is ours, in the row
    public async Task<WebhookDeliveryState?> DeliverAsync(long deliveryId, CancellationToken ct)
    {
        var o = options.CurrentValue;
        var now = Now;
        WebhookDelivery? delivery;
        Webhook? hook;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            delivery = await db.WebhookDeliveries.AsNoTracking().FirstOrDefaultAsync(d => d.Id == deliveryId, ct);
            if (delivery is not { State: WebhookDeliveryState.Pending } || delivery.NextAttemptUtc > now) return null; // done, gone or not yet due
            hook = await db.Webhooks.AsNoTracking().FirstOrDefaultAsync(w => w.Id == delivery.WebhookId, ct);
            if (hook is null) return null;
            var attempt = delivery.Attempts + 1;
            var claimUntil = now + o.Timeout + TimeSpan.FromMinutes(1);
            var claimed = await db.WebhookDeliveries
                .Where(d => d.Id == deliveryId && d.State == WebhookDeliveryState.Pending && d.Attempts == delivery.Attempts)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.Attempts, attempt).SetProperty(d => d.NextAttemptUtc, claimUntil), ct);
            if (claimed == 0) return null; // another job took this attempt
            delivery.Attempts = attempt;
        }

        var result = await SendAsync(hook, delivery.Title, delivery.Text, ct);
        var after = Now;
        var (state, next, error) = result.Outcome switch
        {
            WebhookOutcome.Delivered => (WebhookDeliveryState.Delivered, after, (string?)null),
            WebhookOutcome.Rejected => (WebhookDeliveryState.Failed, after, result.Message),
            _ when delivery.Attempts >= o.MaxAttempts => (WebhookDeliveryState.Failed, after, $"{result.Message} Gave up after {delivery.Attempts} attempts."),
            _ => (WebhookDeliveryState.Pending, after + RetryDelay(o, delivery.Attempts), result.Message),
        };
        await using (var db = await dbs.CreateDbContextAsync(CancellationToken.None))
        {
            await db.WebhookDeliveries.Where(d => d.Id == deliveryId && d.Attempts == delivery.Attempts)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.State, state).SetProperty(d => d.NextAttemptUtc, next)
                    .SetProperty(d => d.LastError, error).SetProperty(d => d.DeliveredUtc, state == WebhookDeliveryState.Delivered ? after : null), CancellationToken.None);
            var shown = state == WebhookDeliveryState.Pending ? $"{result.Message} Attempt {delivery.Attempts} of {o.MaxAttempts}." : error ?? result.Message;
            await RecordOnWebhookAsync(db, hook.Id, after, result.Delivered, shown);
        }
        if (state == WebhookDeliveryState.Failed) LogGaveUp(hook.Id, hook.UrlHint, deliveryId, delivery.Attempts);
        return state;
    }

    /// <summary>The recurring pass: delivers every due pending row (retries, and first attempts a restart left behind), then prunes.</summary>
    [AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Delete)] // the next pass is the retry
    public async Task<int> DeliverDueAsync(CancellationToken ct)
    {
        var now = Now;
        List<long> due;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            due = await db.WebhookDeliveries.Where(d => d.State == WebhookDeliveryState.Pending && d.NextAttemptUtc <= now)
                .OrderBy(d => d.NextAttemptUtc).Select(d => d.Id).Take(SweepBatch).ToListAsync(ct);
            var before = now - options.CurrentValue.Retention;
            await db.WebhookDeliveries.Where(d => d.State != WebhookDeliveryState.Pending && d.CreatedUtc < before).ExecuteDeleteAsync(ct);
        }
        // A few at once: one webhook that holds every request until its timeout must not hold up everyone else's.
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct },
            async (id, token) =>
            {
                try
                {
                    await DeliverAsync(id, token);
                }
                catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
                {
                    LogDeliveryFailed(e, id); // the row stays pending under its claim and is due again after it: one bad row stops no other
                }
            });
        return due.Count;
    }

    /// <summary>"Send a test message": straight through the sender (no outbox, no retry), recorded as the last result.</summary>
    public async Task<WebhookSendResult> SendTestAsync(Webhook hook, CancellationToken ct)
    {
        var result = await SendAsync(hook, "LeaseBoard test message",
            hook.IsChannel ? $"This channel will hear of {DescribeChannel(hook)}." : "Your LeaseBoard notifications will arrive here.", ct);
        await using var db = await dbs.CreateDbContextAsync(CancellationToken.None);
        await RecordOnWebhookAsync(db, hook.Id, Now, result.Delivered, result.Message);
        return result;
    }

    public string Protect(string url) => Protector.Protect(url.Trim());

    public static TimeSpan RetryDelay(WebhookOptions o, int attemptsMade) =>
        TimeSpan.FromTicks(o.FirstRetryDelay.Ticks * (1L << Math.Clamp(attemptsMade - 1, 0, 20)));

    private async Task<WebhookSendResult> SendAsync(Webhook hook, string title, string text, CancellationToken ct)
    {
        string url;
        try
        {
            url = Protector.Unprotect(hook.ProtectedUrl);
        }
        catch (CryptographicException)
        {
            return new WebhookSendResult(WebhookOutcome.Rejected, "The stored URL can no longer be read (the key ring was replaced): delete this webhook and add it again.");
        }
        return await sender.SendAsync(hook.Id, hook.Service, url, hook.UrlHint, title, text, ct);
    }

    private static string DescribeChannel(Webhook hook)
    {
        var where = hook.ChannelTarget == Webhook.AllEnvironments ? "every environment" : hook.ChannelTarget;
        var what = string.Join(" and ", Webhook.ParseKinds<ChannelEvent>(hook.Kinds).Select(k => k == ChannelEvent.NeedsAttention ? "needs attention" : "quarantines"));
        return $"{what} of {where}";
    }

    private static Task RecordOnWebhookAsync(LeaseBoardDb db, int webhookId, DateTime at, bool succeeded, string message)
    {
        var text = message.Length <= 1000 ? message : message[..999] + "…";
        return db.Webhooks.Where(w => w.Id == webhookId).ExecuteUpdateAsync(s => s.SetProperty(w => w.LastAttemptUtc, at)
            .SetProperty(w => w.LastSucceeded, succeeded).SetProperty(w => w.LastResult, text));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook delivery {DeliveryId} broke off; it is tried again after its claim")]
    private partial void LogDeliveryFailed(Exception exception, long deliveryId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId} ({Hint}): delivery {DeliveryId} failed after {Attempts} attempts")]
    private partial void LogGaveUp(int webhookId, string hint, long deliveryId, int attempts);
}
