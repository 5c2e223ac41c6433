using Hangfire;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.LiveUpdates;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Features.Webhooks;

/// <summary>
/// Starts deliveries off the request path: when this instance wrote a user's notification (and with it their outbox
/// rows) it enqueues a Hangfire job per new delivery; when an environment it quarantined enters quarantine it writes
/// the channel messages and enqueues those. A lost enqueue costs only latency: the sweep delivers every due row.
/// </summary>
public sealed partial class WebhookWatcher(IDbContextFactory<LeaseBoardDb> dbs, BoardEvents events, WebhookOutbox outbox, IBackgroundJobClient jobs,
    ILogger<WebhookWatcher> logger) : BoardEventSubscriber(events)
{
    protected override Task OnEventAsync(BoardEvent boardEvent) => boardEvent switch
    {
        NotificationsChanged { IsLocal: true } changed => Task.Run(() => KickUserAsync(changed.UserId)),
        EnvironmentChanged { IsLocal: true, State: EnvironmentState.Quarantined } changed => Task.Run(() => KickQuarantineAsync(changed.EnvironmentId)),
        _ => Task.CompletedTask,
    };

    /// <summary>Enqueues the first attempt of the user's deliveries that have not been tried yet (public for tests).</summary>
    public async Task KickUserAsync(string userId)
    {
        try
        {
            List<long> fresh;
            await using (var db = await dbs.CreateDbContextAsync())
                fresh = await db.WebhookDeliveries
                    .Where(d => d.State == WebhookDeliveryState.Pending && d.Attempts == 0 && db.Webhooks.Any(w => w.Id == d.WebhookId && w.OwnerId == userId))
                    .Select(d => d.Id).ToListAsync();
            foreach (var id in fresh) Enqueue(id);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogKickFailed(e, "user");
        }
    }

    public async Task KickQuarantineAsync(int environmentId)
    {
        try
        {
            foreach (var id in await outbox.WriteForQuarantineAsync(environmentId, CancellationToken.None)) Enqueue(id);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogKickFailed(e, $"environment {environmentId}");
        }
    }

    private void Enqueue(long deliveryId) => jobs.Enqueue<WebhookDeliverer>(d => d.DeliverAsync(deliveryId, CancellationToken.None));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook deliveries for {What} not started; the sweep will deliver them")]
    private partial void LogKickFailed(Exception exception, string what);
}

/// <summary>Registers the delivery sweep with Hangfire when the app starts.</summary>
public sealed class WebhookStartup(IRecurringJobManager recurring, Microsoft.Extensions.Options.IOptions<WebhookOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        recurring.AddOrUpdate<WebhookDeliverer>(WebhookDeliverer.SweepJobId, d => d.DeliverDueAsync(CancellationToken.None), options.Value.SweepCron);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
