using Bunit;
using LeaseBoard.Features.Webhooks;
using LeaseBoard.Setup;
using LeaseBoard.Tests.TestSupport;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LeaseBoard.Tests.Features.Webhooks;

/// <summary>The Slack and Teams settings page as Ana (and an admin) meet it, on a real database, posting to a local listener.</summary>
public sealed class NotificationSettingsPageTests : ComponentTestBase
{
    private WebhookListener _listener = default!;
    private IRenderedComponent<MudDialogProvider> _dialogs = default!;

    public NotificationSettingsPageTests()
    {
        Services.AddSingleton<IDataProtectionProvider>(new EphemeralDataProtectionProvider());
        Services.AddWebhookServices();
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _listener = await WebhookListener.StartAsync();
    }

    private IRenderedComponent<NotificationSettingsPage> RenderPage()
    {
        Render<MudPopoverProvider>();
        _dialogs = Render<MudDialogProvider>();
        var page = Render<NotificationSettingsPage>();
        page.WaitForElement("[data-testid=webhook-add-button]");
        return page;
    }

    private static void Add(IRenderedComponent<NotificationSettingsPage> page, string url, string form = "webhook-add")
    {
        page.Find($"[data-testid={form}] [data-testid=webhook-url]").Input(url);
        page.Find($"[data-testid={form}] [data-testid=webhook-add-button]").Click();
    }

    [Fact]
    public async Task A_webhook_is_added_tested_with_the_answer_in_place_and_deleted_after_confirming()
    {
        var page = RenderPage();
        page.WaitForElement("[data-testid=webhooks-empty]");

        Add(page, _listener.Url());
        var row = page.WaitForElement("[data-testid=webhook-row]");
        Assert.Equal(_listener.BaseUrl + "/…1A2b", row.QuerySelector("[data-testid=webhook-hint]")!.TextContent);
        Assert.DoesNotContain("xyz1A2b", page.Markup); // the URL is never shown back
        Assert.Contains("Nothing sent yet.", row.TextContent);

        page.Find("[data-testid=webhook-test]").Click();
        page.WaitForAssertion(() => Assert.Contains("Delivered: Slack answered 200.", page.Find("[data-testid=webhook-message]").TextContent));
        Assert.Contains("LeaseBoard test message", Assert.Single(_listener.Requests).Body);

        var click = page.Find("[data-testid=webhook-delete]").ClickAsync(new MouseEventArgs());
        _dialogs.WaitForAssertion(() => Assert.Contains("Delete webhook?", _dialogs.Markup));
        await _dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Delete").ClickAsync(new MouseEventArgs());
        await click;
        page.WaitForElement("[data-testid=webhooks-empty]");
        Assert.Empty(await Services.GetRequiredService<WebhookSettings>().ListMineAsync(TestActors.Ana));
    }

    [Fact]
    public async Task Keeping_the_webhook_in_the_confirmation_deletes_nothing()
    {
        var page = RenderPage();
        Add(page, _listener.Url());
        page.WaitForElement("[data-testid=webhook-row]");

        var click = page.Find("[data-testid=webhook-delete]").ClickAsync(new MouseEventArgs());
        _dialogs.WaitForAssertion(() => Assert.Contains("Delete webhook?", _dialogs.Markup));
        await _dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Keep it").ClickAsync(new MouseEventArgs());
        await click;

        Assert.Single(page.FindAll("[data-testid=webhook-row]"));
        Assert.Single(await Services.GetRequiredService<WebhookSettings>().ListMineAsync(TestActors.Ana));
    }

    [Fact]
    public void A_refused_test_message_says_why_in_place_and_stays_as_the_last_result()
    {
        _listener.AnswerWith(404);
        var page = RenderPage();
        Add(page, _listener.Url());
        page.WaitForElement("[data-testid=webhook-row]");

        page.Find("[data-testid=webhook-test]").Click();

        page.WaitForAssertion(() => Assert.Contains("Slack answered 404: the webhook was removed or the URL is wrong", page.Find("[data-testid=webhook-message]").TextContent));
        var again = Render<NotificationSettingsPage>(); // a later visit shows it as the last delivery
        again.WaitForAssertion(() => Assert.Contains("the webhook was removed or the URL is wrong", again.Find("[data-testid=webhook-last]").TextContent));
    }

    [Fact]
    public void A_bad_url_is_refused_in_place()
    {
        var page = RenderPage();

        Add(page, "http://hooks.slack.com/services/T0/B0/x");

        page.WaitForAssertion(() => Assert.Contains("must start with https://", page.Find("[data-testid=webhook-error]").TextContent));
        Assert.Empty(page.FindAll("[data-testid=webhook-row]"));
    }

    [Fact]
    public void Someone_who_is_not_an_admin_sees_no_channel_webhooks()
    {
        var page = RenderPage();

        Assert.Empty(page.FindAll("[data-testid=channel-add]"));
        Assert.DoesNotContain("Channel webhooks", page.Markup);
    }

    [Fact]
    public async Task An_admin_adds_a_channel_webhook_for_all_environments()
    {
        Auth.SetAuthorized(TestActors.Admin.DisplayName);
        Auth.SetRoles(LeaseBoard.Features.SignIn.Roles.Admin);
        Auth.SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, TestActors.Admin.Id));
        var page = RenderPage();
        page.WaitForElement("[data-testid=channel-webhooks-empty]");

        Add(page, _listener.Url("/channel"), "channel-add");

        page.WaitForAssertion(() => Assert.Contains("all environments", page.Find("[data-testid=webhook-row]").TextContent));
        var channel = Assert.Single(await Services.GetRequiredService<WebhookSettings>().ListChannelsAsync(TestActors.Admin));
        Assert.Equal(("*", "Quarantined,NeedsAttention"), (channel.ChannelTarget, channel.Kinds));
        Assert.Empty(await Services.GetRequiredService<WebhookSettings>().ListMineAsync(TestActors.Admin));
    }

    protected override async Task DisposeTestAsync()
    {
        await _listener.DisposeAsync();
    }
}
