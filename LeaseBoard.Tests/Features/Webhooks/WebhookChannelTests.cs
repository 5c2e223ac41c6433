using LeaseBoard.Domain;
using LeaseBoard.Features.Webhooks;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Tests.Features.Webhooks;

/// <summary>Admins' channel webhooks hear of quarantines once; and who may add, change and test which webhook.</summary>
public sealed class WebhookChannelTests
{
    private static async Task QuarantineAsync(WebhookHarness h, int environment, string reason)
    {
        await using var db = h.Database.CreateDbContext();
        var env = await db.Environments.SingleAsync(e => e.Key == $"env-{environment}");
        (env.State, env.QuarantineReason, env.QuarantinedBy, env.QuarantinedAtUtc) = (EnvironmentState.Quarantined, reason, "local:root", h.Booking.Now);
        await db.SaveChangesAsync();
    }

    private static async Task<int> ChannelAsync(WebhookHarness h, string target, params ChannelEvent[] events)
    {
        var (row, error) = await h.Settings.AddAsync(TestActors.Admin, ChatService.Teams, h.Listener.Url($"/channel/{target}"), Webhook.JoinKinds(events), target);
        Assert.Null(error);
        return row!.Id;
    }

    [Fact]
    public async Task A_quarantine_is_told_once_to_the_channels_that_watch_that_environment_and_want_it()
    {
        await using var h = await WebhookHarness.CreateAsync();
        var all = await ChannelAsync(h, Webhook.AllEnvironments, ChannelEvent.Quarantined, ChannelEvent.NeedsAttention);
        var env1 = await ChannelAsync(h, "env-1", ChannelEvent.Quarantined);
        await ChannelAsync(h, "env-2", ChannelEvent.Quarantined);
        await ChannelAsync(h, "env-1", ChannelEvent.NeedsAttention);
        await QuarantineAsync(h, 1, "Broken fan");
        var env1Id = (await h.Database.EnvironmentsAsync())[0].Id;

        // Two instances saw the same quarantine at once: one message per channel.
        var written = await Task.WhenAll(h.Outbox.WriteForQuarantineAsync(env1Id, CancellationToken.None), h.Outbox.WriteForQuarantineAsync(env1Id, CancellationToken.None));
        Assert.Empty(await h.Outbox.WriteForQuarantineAsync(env1Id, CancellationToken.None)); // and a later event about it writes nothing

        Assert.Equal(2, written.Sum(w => w.Count));
        var rows = await h.DeliveriesAsync();
        Assert.Equal([all, env1], rows.Select(d => d.WebhookId).Order());
        Assert.All(rows, d => Assert.Equal("Env 1 quarantined", d.Title));
        Assert.Equal(2, await h.Deliverer.DeliverDueAsync(CancellationToken.None));
        Assert.Equal(["/channel/*", "/channel/env-1"], h.Listener.Requests.Select(r => r.Path).Order());
        Assert.All(h.Listener.Requests, r => Assert.Contains("Broken fan (by local:root)", r.Body));
    }

    [Fact]
    public async Task A_needs_attention_quarantine_goes_to_the_channels_that_want_needs_attention()
    {
        await using var h = await WebhookHarness.CreateAsync();
        await ChannelAsync(h, "env-1", ChannelEvent.Quarantined);
        var attention = await ChannelAsync(h, "env-1", ChannelEvent.NeedsAttention);
        await QuarantineAsync(h, 1, $"{TestEnvironment.NeedsAttentionPrefix} the stop of run 7 failed");

        await h.Outbox.WriteForQuarantineAsync((await h.Database.EnvironmentsAsync())[0].Id, CancellationToken.None);

        var row = Assert.Single(await h.DeliveriesAsync());
        Assert.Equal((attention, "Env 1 needs attention"), (row.WebhookId, row.Title));
    }

    [Fact]
    public async Task Only_admins_add_or_see_channel_webhooks_and_nobody_changes_someone_elses()
    {
        await using var h = await WebhookHarness.CreateAsync();
        var (refused, error) = await h.Settings.AddAsync(TestActors.Ana, ChatService.Slack, h.Listener.Url(), "Quarantined", "env-1");
        Assert.Null(refused);
        Assert.Equal("Only admins add channel webhooks.", error);
        var channel = await ChannelAsync(h, "env-1", ChannelEvent.Quarantined);
        var bens = await h.AddAsync(TestActors.Ben, ChatService.Slack, NotificationKind.Hung);

        Assert.Empty(await h.Settings.ListChannelsAsync(TestActors.Ana));
        Assert.Single(await h.Settings.ListChannelsAsync(TestActors.Admin));
        Assert.False(await h.Settings.DeleteAsync(TestActors.Ana, channel));
        Assert.False(await h.Settings.DeleteAsync(TestActors.Ana, bens.Id));
        Assert.NotNull(await h.Settings.SetKindsAsync(TestActors.Ana, bens.Id, "Hung,Moved"));
        Assert.Contains("not yours", (await h.Settings.SendTestAsync(TestActors.Ana, bens.Id)).Message);
        Assert.Empty(h.Listener.Requests);
        Assert.Empty(await h.Settings.ListMineAsync(TestActors.Ana));

        Assert.True(await h.Settings.DeleteAsync(TestActors.Ben, bens.Id));
        Assert.True(await h.Settings.DeleteAsync(TestActors.Admin, channel));
        await using var db = h.Database.CreateDbContext();
        var audit = await db.AuditEntries.AsNoTracking().OrderBy(a => a.Id).Select(a => new { a.Action, a.Actor, a.Details }).ToListAsync();
        Assert.Equal([AuditActions.ChannelWebhookAdded, AuditActions.ChannelWebhookDeleted], audit.Select(a => a.Action)); // channel webhooks only
        Assert.All(audit, a => Assert.Equal((TestActors.Admin.Id, $"Teams webhook {h.Listener.BaseUrl}/…nv-1 for env-1: Quarantined"), (a.Actor, a.Details)));
    }

    [Fact]
    public async Task A_test_message_is_sent_at_once_and_its_answer_is_the_last_result()
    {
        await using var h = await WebhookHarness.CreateAsync();
        var hook = await h.AddAsync(ChatService.Slack, NotificationKind.Hung);
        h.Listener.AnswerWith(403);

        var refused = await h.Settings.SendTestAsync(TestActors.Ana, hook.Id);
        var delivered = await h.Settings.SendTestAsync(TestActors.Ana, hook.Id);

        Assert.Equal(WebhookOutcome.Rejected, refused.Outcome);
        Assert.Contains("Slack answered 403: the webhook refuses messages", refused.Message);
        Assert.True(delivered.Delivered);
        var row = Assert.Single(await h.Settings.ListMineAsync(TestActors.Ana));
        Assert.Equal((true, "Delivered: Slack answered 200.", h.Booking.Now), (row.LastSucceeded, row.LastResult, row.LastAttemptUtc));
        Assert.Contains("LeaseBoard test message", h.Listener.Requests[1].Body);
        Assert.Empty(await h.DeliveriesAsync()); // a test message is no outbox row
    }
}
