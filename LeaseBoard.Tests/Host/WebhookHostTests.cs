using System.Text.Json;
using LeaseBoard.Domain;
using LeaseBoard.Features.Notifications;
using LeaseBoard.Features.Webhooks;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.Host;

/// <summary>The whole app's wiring: a notification reaches the owner's webhook by a Hangfire job (the watcher's first attempt, or the sweep), off the caller's path.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class WebhookHostTests(SharedAppFixture app)
{
    [Fact]
    public async Task A_notification_is_posted_to_the_owners_webhook_by_a_background_job()
    {
        await using var listener = await WebhookListener.StartAsync();
        var owner = new Actor("local:webhook-" + Guid.NewGuid().ToString("N")[..8], "Wen", IsAdmin: false);
        var settings = app.Services.GetRequiredService<WebhookSettings>();
        var (hook, error) = await settings.AddAsync(owner, ChatService.Teams, listener.Url(), nameof(NotificationKind.Hung));
        Assert.Null(error);
        listener.Hold(); // the endpoint keeps the request: the notification must not wait for it

        Assert.True(await app.Services.GetRequiredService<NotificationService>()
            .NotifyAsync(owner.Id, NotificationKind.Hung, null, "'Soak' on Env 2 hung.", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));

        await Eventually.TrueAsync(() => listener.Requests.Count == 1, TimeSpan.FromSeconds(20), "the job posted to the webhook");
        listener.Release();
        using var json = JsonDocument.Parse(listener.Requests[0].Body);
        Assert.Equal("AdaptiveCard", json.RootElement.GetProperty("attachments")[0].GetProperty("content").GetProperty("type").GetString());
        var row = await Eventually.MatchesAsync(async () => (await settings.ListMineAsync(owner)).Single(), r => r.LastSucceeded == true, TimeSpan.FromSeconds(20),
            "the webhook's last result");
        Assert.Equal("Delivered: Teams answered 200.", row.LastResult);
        Assert.Equal(hook!.Id, row.Id);
    }
}
