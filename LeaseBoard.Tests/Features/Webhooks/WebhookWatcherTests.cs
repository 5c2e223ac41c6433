using System.Collections.Concurrent;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using LeaseBoard.Domain;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Features.Webhooks;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace LeaseBoard.Tests.Features.Webhooks;

/// <summary>The watcher starts first attempts off the caller's path: one Hangfire job per new delivery, channel messages once per quarantine.</summary>
public sealed class WebhookWatcherTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>Stands in for Hangfire's client: records the jobs enqueued.</summary>
    private sealed class RecordingJobs : IBackgroundJobClient
    {
        public ConcurrentQueue<Job> Enqueued { get; } = new();

        public string Create(Job job, IState state)
        {
            Assert.IsType<EnqueuedState>(state);
            Enqueued.Enqueue(job);
            return Guid.NewGuid().ToString("N");
        }

        public bool ChangeState(string jobId, IState state, string expectedState) => true;

        public List<long> DeliveryIds => Enqueued.Select(j =>
        {
            Assert.Equal((typeof(WebhookDeliverer), nameof(WebhookDeliverer.DeliverAsync)), (j.Type, j.Method.Name));
            return (long)j.Args[0];
        }).ToList();
    }

    [Fact]
    public async Task A_notification_enqueues_one_first_attempt_for_its_delivery_and_that_job_delivers_it()
    {
        await using var h = await WebhookHarness.CreateAsync();
        var jobs = new RecordingJobs();
        using var watcher = new WebhookWatcher(h.Database, h.Booking.Events, h.Outbox, jobs, NullLogger<WebhookWatcher>.Instance);
        await watcher.StartAsync(CancellationToken.None);
        await h.AddAsync(ChatService.Slack, NotificationKind.Hung);
        await h.AddAsync(TestActors.Ben, ChatService.Slack, NotificationKind.Hung);

        await h.Notifications.NotifyAsync(TestActors.Ana.Id, NotificationKind.Hung, null, "'Soak' hung.", CancellationToken.None);

        await Eventually.TrueAsync(() => !jobs.Enqueued.IsEmpty, Wait, "a job enqueued");
        var id = Assert.Single(jobs.DeliveryIds);
        Assert.Equal(Assert.Single(await h.DeliveriesAsync()).Id, id); // Ana's only: Ben was not told
        Assert.Empty(h.Listener.Requests); // enqueued, not sent on the notifying path
        Assert.Equal(WebhookDeliveryState.Delivered, await h.Deliverer.DeliverAsync(id, CancellationToken.None));
        Assert.Single(h.Listener.Requests);
    }

    [Fact]
    public async Task A_quarantine_event_writes_the_channel_message_once_and_enqueues_it()
    {
        await using var h = await WebhookHarness.CreateAsync();
        var jobs = new RecordingJobs();
        using var watcher = new WebhookWatcher(h.Database, h.Booking.Events, h.Outbox, jobs, NullLogger<WebhookWatcher>.Instance);
        await watcher.StartAsync(CancellationToken.None);
        Assert.Null((await h.Settings.AddAsync(TestActors.Admin, ChatService.Teams, h.Listener.Url(), nameof(ChannelEvent.Quarantined), Webhook.AllEnvironments)).Error);
        TestEnvironment env;
        await using (var db = h.Database.CreateDbContext())
        {
            env = await db.Environments.SingleAsync(e => e.Key == "env-3");
            (env.State, env.QuarantineReason, env.QuarantinedBy, env.QuarantinedAtUtc) = (EnvironmentState.Quarantined, "Disk full", "local:root", h.Booking.Now);
            await db.SaveChangesAsync();
        }

        h.Booking.Events.Publish(EnvironmentChanged.Of(env));
        await Eventually.TrueAsync(() => !jobs.Enqueued.IsEmpty, Wait, "a job enqueued");
        await watcher.KickQuarantineAsync(env.Id); // the same quarantine again (a health update while quarantined)

        var id = Assert.Single(jobs.DeliveryIds);
        Assert.Equal("Env 3 quarantined", Assert.Single(await h.DeliveriesAsync(), d => d.Id == id).Title);
        Assert.Single(await h.DeliveriesAsync());
    }
}
