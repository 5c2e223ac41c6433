using Hangfire;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Notifications;

/// <summary>The recurring sweep: "ends soon" notifications and pruning after the retention. Re-runnable: both are idempotent.</summary>
public sealed class NotificationJobs(NotificationService notifications)
{
    public const string SweepJobId = "notifications-sweep";

    // The next minute's sweep is the retry; a failed sweep ends Deleted with its exception and expires (see FailedJobExpiry).
    [AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Delete)]
    public async Task SweepAsync(CancellationToken ct)
    {
        await notifications.SendEndsSoonAsync(ct);
        await notifications.PruneAsync(ct);
    }
}

/// <summary>Registers the sweep with Hangfire when the app starts.</summary>
public sealed class NotificationStartup(IRecurringJobManager recurring, IOptions<NotificationOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        recurring.AddOrUpdate<NotificationJobs>(NotificationJobs.SweepJobId, j => j.SweepAsync(CancellationToken.None), options.Value.SweepCron);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
