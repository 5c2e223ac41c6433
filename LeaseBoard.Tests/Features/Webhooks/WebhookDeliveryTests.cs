using System.Text.Json;
using LeaseBoard.Domain;
using LeaseBoard.Features.Webhooks;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Tests.Features.Webhooks;

/// <summary>Messages to Slack and Teams, posted to a real local HTTP listener: bodies, retries, refusals, timeouts, and never in anyone's way.</summary>
public sealed class WebhookDeliveryTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static Task<bool> NotifyAnaAsync(WebhookHarness h, NotificationKind kind = NotificationKind.Hung, string text = "'Soak' on Env 2 hung: no heartbeat for 15 minutes.") =>
        h.Notifications.NotifyAsync(TestActors.Ana.Id, kind, null, text, CancellationToken.None);

    [Fact]
    public async Task Slack_gets_valid_json_with_the_text_and_a_mrkdwn_section()
    {
        await using var h = await WebhookHarness.CreateAsync();
        await h.AddAsync(ChatService.Slack, NotificationKind.Hung);

        Assert.True(await NotifyAnaAsync(h, text: "'Soak' on Env 2 hung: <no heartbeat> & stopped."));
        Assert.Equal(1, await h.Deliverer.DeliverDueAsync(CancellationToken.None));

        var request = Assert.Single(h.Listener.Requests);
        Assert.StartsWith("application/json", request.ContentType);
        using var json = JsonDocument.Parse(request.Body);
        Assert.Equal("Your test hung: 'Soak' on Env 2 hung: <no heartbeat> & stopped.", json.RootElement.GetProperty("text").GetString());
        var section = Assert.Single(json.RootElement.GetProperty("blocks").EnumerateArray());
        Assert.Equal("section", section.GetProperty("type").GetString());
        Assert.Equal("mrkdwn", section.GetProperty("text").GetProperty("type").GetString());
        Assert.Equal("*Your test hung*\n'Soak' on Env 2 hung: &lt;no heartbeat&gt; &amp; stopped.", section.GetProperty("text").GetProperty("text").GetString());
        Assert.Equal(WebhookDeliveryState.Delivered, Assert.Single(await h.DeliveriesAsync()).State);
    }

    [Fact]
    public async Task Teams_gets_a_workflows_message_with_one_adaptive_card_1_4()
    {
        await using var h = await WebhookHarness.CreateAsync(new() { ["LeaseBoard:Webhooks:PublicUrl"] = "https://leaseboard.example.com/" });
        await h.AddAsync(ChatService.Teams, NotificationKind.Moved);

        Assert.True(await NotifyAnaAsync(h, NotificationKind.Moved, "'Soak' moved from Env 1 to Env 3: Env 1 was quarantined."));
        await h.Deliverer.DeliverDueAsync(CancellationToken.None);

        using var json = JsonDocument.Parse(Assert.Single(h.Listener.Requests).Body);
        var root = json.RootElement;
        Assert.Equal("message", root.GetProperty("type").GetString());
        var attachment = Assert.Single(root.GetProperty("attachments").EnumerateArray());
        Assert.Equal("application/vnd.microsoft.card.adaptive", attachment.GetProperty("contentType").GetString());
        Assert.Equal(JsonValueKind.Null, attachment.GetProperty("contentUrl").ValueKind);
        var card = attachment.GetProperty("content");
        AdaptiveCardShape.AssertValid(card);
        Assert.Equal("http://adaptivecards.io/schemas/adaptive-card.json", card.GetProperty("$schema").GetString());
        Assert.Equal("1.4", card.GetProperty("version").GetString());
        var blocks = card.GetProperty("body").EnumerateArray().ToList();
        Assert.Equal(["Your booking was moved", "'Soak' moved from Env 1 to Env 3: Env 1 was quarantined."], blocks.Select(b => b.GetProperty("text").GetString()));
        Assert.Equal("Bolder", blocks[0].GetProperty("weight").GetString());
        var open = Assert.Single(card.GetProperty("actions").EnumerateArray());
        Assert.Equal("Action.OpenUrl", open.GetProperty("type").GetString());
        Assert.Equal("https://leaseboard.example.com/", open.GetProperty("url").GetString());
    }

    [Fact]
    public async Task A_5xx_is_tried_again_after_the_back_off_and_delivered_on_the_second_attempt()
    {
        await using var h = await WebhookHarness.CreateAsync();
        var hook = await h.AddAsync(ChatService.Slack, NotificationKind.Hung);
        h.Listener.AnswerWith(503);
        await NotifyAnaAsync(h);

        await h.Deliverer.DeliverDueAsync(CancellationToken.None);
        var first = Assert.Single(await h.DeliveriesAsync());
        Assert.Equal((WebhookDeliveryState.Pending, 1), (first.State, first.Attempts));
        Assert.Equal(h.Booking.Now + TimeSpan.FromSeconds(30), first.NextAttemptUtc);
        Assert.Contains("Slack answered 503", (await h.WebhookAsync(hook.Id)).LastResult);
        Assert.False((await h.WebhookAsync(hook.Id)).LastSucceeded);

        h.Clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, await h.Deliverer.DeliverDueAsync(CancellationToken.None)); // not yet due
        Assert.Single(h.Listener.Requests);

        h.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await h.Deliverer.DeliverDueAsync(CancellationToken.None));
        var second = Assert.Single(await h.DeliveriesAsync());
        Assert.Equal((WebhookDeliveryState.Delivered, 2), (second.State, second.Attempts));
        Assert.Equal(2, h.Listener.Requests.Count);
        Assert.True((await h.WebhookAsync(hook.Id)).LastSucceeded);
    }

    [Fact]
    public async Task A_4xx_fails_at_once_with_a_clear_message_and_is_never_tried_again()
    {
        await using var h = await WebhookHarness.CreateAsync();
        var hook = await h.AddAsync(ChatService.Slack, NotificationKind.Hung);
        h.Listener.AnswerWith(404);
        await NotifyAnaAsync(h);

        await h.Deliverer.DeliverDueAsync(CancellationToken.None);
        h.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await h.Deliverer.DeliverDueAsync(CancellationToken.None));

        var delivery = Assert.Single(await h.DeliveriesAsync());
        Assert.Equal((WebhookDeliveryState.Failed, 1), (delivery.State, delivery.Attempts));
        Assert.Contains("Slack answered 404: the webhook was removed or the URL is wrong", delivery.LastError);
        Assert.Single(h.Listener.Requests);
        var shown = Assert.Single(await h.Settings.ListMineAsync(TestActors.Ana));
        Assert.Contains("the webhook was removed or the URL is wrong", shown.LastResult);
        Assert.False(shown.LastSucceeded);
    }

    [Fact]
    public async Task A_webhook_that_keeps_failing_is_given_up_after_the_last_attempt_with_doubling_waits()
    {
        await using var h = await WebhookHarness.CreateAsync(new() { ["LeaseBoard:Webhooks:MaxAttempts"] = "3" });
        await h.AddAsync(ChatService.Teams, NotificationKind.Hung);
        h.Listener.AnswerWith(500, 502, 500);
        await NotifyAnaAsync(h);

        var waits = new List<TimeSpan>();
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var before = h.Booking.Now;
            Assert.Equal(1, await h.Deliverer.DeliverDueAsync(CancellationToken.None));
            var row = Assert.Single(await h.DeliveriesAsync());
            if (row.State == WebhookDeliveryState.Pending) waits.Add(row.NextAttemptUtc - before);
            h.Clock.Advance(row.NextAttemptUtc - before);
        }

        Assert.Equal([TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60)], waits);
        var failed = Assert.Single(await h.DeliveriesAsync());
        Assert.Equal(WebhookDeliveryState.Failed, failed.State);
        Assert.Contains("Gave up after 3 attempts", failed.LastError);
        Assert.Equal(3, h.Listener.Requests.Count);
    }

    [Fact]
    public async Task A_kind_turned_off_writes_no_delivery_and_sends_nothing()
    {
        await using var h = await WebhookHarness.CreateAsync();
        var hook = await h.AddAsync(ChatService.Slack, NotificationKind.Hung, NotificationKind.Moved);

        Assert.True(await NotifyAnaAsync(h, NotificationKind.LeaseStarted, "'Soak' on Env 2 started."));
        Assert.Equal(0, await h.Deliverer.DeliverDueAsync(CancellationToken.None));
        Assert.Empty(await h.DeliveriesAsync());
        Assert.Empty(h.Listener.Requests);

        Assert.Null(await h.Settings.SetKindsAsync(TestActors.Ana, hook.Id, "Hung,LeaseStarted"));
        await NotifyAnaAsync(h, NotificationKind.LeaseStarted, "'Load' on Env 1 started.");
        await NotifyAnaAsync(h, NotificationKind.Moved, "'Load' moved."); // turned off now
        Assert.Equal(1, await h.Deliverer.DeliverDueAsync(CancellationToken.None));
        using var json = JsonDocument.Parse(Assert.Single(h.Listener.Requests).Body);
        Assert.Equal("Your lease started: 'Load' on Env 1 started.", json.RootElement.GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_slow_endpoint_never_delays_a_booking_or_a_notification()
    {
        await using var h = await WebhookHarness.CreateAsync();
        await h.AddAsync(ChatService.Slack, NotificationKind.Hung, NotificationKind.LeaseStarted);
        h.Listener.Hold();
        await NotifyAnaAsync(h);
        var delivering = h.Deliverer.DeliverDueAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => h.Listener.Requests.Count == 1, Wait, "the endpoint has the request");

        // While the endpoint holds the request: a booking and another notification (with its outbox row) complete.
        var booked = await h.Booking.BookAsync(1, h.Booking.At(14), TimeSpan.FromHours(1)).WaitAsync(Wait);
        Assert.Equal(LeaseBoard.Features.Booking.BookingOutcome.Booked, booked.Outcome);
        Assert.True(await NotifyAnaAsync(h, NotificationKind.LeaseStarted, "'Load' on Env 1 started.").WaitAsync(Wait));
        Assert.False(delivering.IsCompleted);
        Assert.Equal(2, (await h.DeliveriesAsync()).Count);

        h.Listener.Release();
        Assert.Equal(1, await delivering.WaitAsync(Wait));
        Assert.Equal(WebhookDeliveryState.Delivered, (await h.DeliveriesAsync())[0].State);
    }

    [Fact]
    public async Task An_endpoint_that_does_not_answer_times_out_and_is_tried_again_later()
    {
        await using var h = await WebhookHarness.CreateAsync();
        await h.AddAsync(ChatService.Teams, NotificationKind.Hung);
        h.Listener.Hold();
        await NotifyAnaAsync(h);
        var id = Assert.Single(await h.DeliveriesAsync()).Id;

        var delivering = h.Deliverer.DeliverAsync(id, CancellationToken.None);
        await Eventually.TrueAsync(() => h.Listener.Requests.Count == 1, Wait, "the endpoint has the request");
        Assert.False(delivering.IsCompleted);
        h.Clock.Advance(TimeSpan.FromSeconds(10)); // the timeout, on the fake clock

        Assert.Equal(WebhookDeliveryState.Pending, await delivering.WaitAsync(Wait));
        var row = Assert.Single(await h.DeliveriesAsync());
        Assert.Contains("Teams did not answer within 10 s", row.LastError);
        Assert.Equal(h.Booking.Now + TimeSpan.FromSeconds(30), row.NextAttemptUtc);
    }

    [Fact]
    public async Task Two_jobs_for_one_delivery_at_once_post_it_once()
    {
        await using var h = await WebhookHarness.CreateAsync();
        await h.AddAsync(ChatService.Slack, NotificationKind.Hung);
        h.Listener.Hold();
        await NotifyAnaAsync(h);
        var id = Assert.Single(await h.DeliveriesAsync()).Id;

        var first = h.Deliverer.DeliverAsync(id, CancellationToken.None);
        await Eventually.TrueAsync(() => h.Listener.Requests.Count == 1, Wait, "the endpoint has the request");
        Assert.Null(await h.Deliverer.DeliverAsync(id, CancellationToken.None)); // the second finds the attempt claimed
        h.Listener.Release();

        Assert.Equal(WebhookDeliveryState.Delivered, await first.WaitAsync(Wait));
        Assert.Null(await h.Deliverer.DeliverAsync(id, CancellationToken.None)); // and a late third finds it delivered
        Assert.Single(h.Listener.Requests);
    }

    [Fact]
    public async Task The_url_is_stored_protected_shown_as_a_hint_and_never_logged()
    {
        await using var h = await WebhookHarness.CreateAsync();
        var hook = await h.AddAsync(ChatService.Slack, NotificationKind.Hung);
        h.Listener.AnswerWith(503, 404);
        await NotifyAnaAsync(h);
        await h.Deliverer.DeliverDueAsync(CancellationToken.None);
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        await h.Deliverer.DeliverDueAsync(CancellationToken.None);
        await h.Settings.SendTestAsync(TestActors.Ana, hook.Id);

        var stored = await h.WebhookAsync(hook.Id);
        Assert.DoesNotContain("xyz1A2b", stored.ProtectedUrl);
        Assert.DoesNotContain("127.0.0.1", stored.ProtectedUrl);
        Assert.Equal(h.Listener.BaseUrl + "/…1A2b", stored.UrlHint);
        Assert.Equal(stored.UrlHint, Assert.Single(await h.Settings.ListMineAsync(TestActors.Ana)).UrlHint);
        Assert.Equal(3, h.Listener.Requests.Count);
        Assert.Contains(h.Logs.Entries, e => e.Message.Contains(stored.UrlHint)); // the logs do speak of it, by its hint
        Assert.DoesNotContain(h.Logs.Entries, e => e.Message.Contains("xyz1A2b") || (e.Exception?.ToString().Contains("xyz1A2b") ?? false));
    }

    [Theory]
    [InlineData("", "Paste the webhook URL.")]
    [InlineData("hooks.slack.com/services/T0/B0/x", "That is not a web address")]
    [InlineData("ftp://hooks.slack.com/services/T0/B0/x", "That is not a web address")]
    [InlineData("http://hooks.slack.com/services/T0/B0/x", "must start with https://")]
    [InlineData("https://user:pw@hooks.slack.com/services/T0/B0/x", "must not carry a user name or password")]
    public async Task A_bad_url_is_refused_with_a_clear_message_and_nothing_is_stored(string url, string message)
    {
        await using var h = await WebhookHarness.CreateAsync();

        var (row, error) = await h.Settings.AddAsync(TestActors.Ana, ChatService.Slack, url, "Hung");

        Assert.Null(row);
        Assert.Contains(message, error);
        Assert.Empty(await h.Settings.ListMineAsync(TestActors.Ana));
    }

    [Fact]
    public void Urls_are_checked_for_length_and_the_usual_hosts_are_known()
    {
        Assert.Contains("longer than 2000", WebhookUrls.Problem("https://hooks.slack.com/" + new string('a', 2000)));
        Assert.Null(WebhookUrls.Problem("http://127.0.0.1:5000/hook"));
        Assert.Null(WebhookUrls.Problem("http://[::1]:5000/hook"));
        Assert.True(WebhookUrls.IsUsualHost(ChatService.Slack, "https://hooks.slack.com/services/T0/B0/x"));
        Assert.True(WebhookUrls.IsUsualHost(ChatService.Teams, "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=x"));
        Assert.False(WebhookUrls.IsUsualHost(ChatService.Teams, "https://hooks.slack.com/services/T0/B0/x"));
        Assert.Equal("https://hooks.slack.com/…a1B2", WebhookUrls.Hint("https://hooks.slack.com/services/T0/B0/xxa1B2"));
    }

    [Theory]
    [InlineData(408, WebhookOutcome.RetryLater)]
    [InlineData(429, WebhookOutcome.RetryLater)]
    [InlineData(500, WebhookOutcome.RetryLater)]
    [InlineData(503, WebhookOutcome.RetryLater)]
    [InlineData(400, WebhookOutcome.Rejected)]
    [InlineData(401, WebhookOutcome.Rejected)]
    [InlineData(403, WebhookOutcome.Rejected)]
    [InlineData(404, WebhookOutcome.Rejected)]
    [InlineData(410, WebhookOutcome.Rejected)]
    [InlineData(302, WebhookOutcome.Rejected)]
    public void Busy_and_broken_answers_are_tried_again_and_refusals_are_not(int status, WebhookOutcome outcome)
    {
        var result = WebhookSender.Classify(ChatService.Slack, (System.Net.HttpStatusCode)status, "channel_is_archived");

        Assert.Equal(outcome, result.Outcome);
        Assert.StartsWith($"Slack answered {status}", result.Message);
    }

    [Fact]
    public async Task A_url_that_can_no_longer_be_decrypted_fails_with_a_message_saying_what_to_do()
    {
        await using var h = await WebhookHarness.CreateAsync();
        var hook = await h.AddAsync(ChatService.Slack, NotificationKind.Hung);
        await using (var db = h.Database.CreateDbContext())
            await db.Webhooks.Where(w => w.Id == hook.Id).ExecuteUpdateAsync(s => s.SetProperty(w => w.ProtectedUrl, "CfDJ8-not-from-this-key-ring"));
        await NotifyAnaAsync(h);

        await h.Deliverer.DeliverDueAsync(CancellationToken.None);

        var delivery = Assert.Single(await h.DeliveriesAsync());
        Assert.Equal(WebhookDeliveryState.Failed, delivery.State);
        Assert.Contains("delete this webhook and add it again", delivery.LastError);
        Assert.Empty(h.Listener.Requests);
    }
}
