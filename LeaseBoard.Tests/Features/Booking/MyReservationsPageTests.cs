using Bunit;
using LeaseBoard.Domain;
using LeaseBoard.Features.Api;
using LeaseBoard.Features.Tokens;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>The "My reservations" page on a real database, Ana signed in; "now" is Monday 30 Nov 2026 09:02 UTC.</summary>
public sealed class MyReservationsPageTests : ComponentTestBase
{
    public MyReservationsPageTests() => Services.AddSingleton<ApiTokenService>();

    private IRenderedComponent<MyReservationsPage> RenderPage(string loaded)
    {
        var page = Render<MyReservationsPage>();
        page.WaitForElement(loaded);
        return page;
    }

    private Task<Reservation> SeedAsync(int env, DateTime start, DateTime end, ReservationState state, string title, Actor? owner = null) =>
        new ReservationBuilder(Env(env).Id, start, end).InState(state).Titled(title).OwnedBy(owner ?? TestActors.Ana).SaveAsync(Database);

    [Fact]
    public void My_reservations_without_any_shows_the_empty_state_with_a_way_to_book()
    {
        var page = RenderPage("[data-testid=mine-empty]");

        Assert.Contains("You have no reservations yet.", page.Find("[data-testid=mine-empty]").TextContent);
        Assert.Equal("book", page.Find("[data-testid=mine-empty] a").GetAttribute("href"));
        Assert.Empty(page.FindAll("[data-testid=reservation-row]"));
    }

    [Fact]
    public async Task My_reservations_lists_only_the_users_own_with_the_action_each_state_allows()
    {
        var active = await SeedAsync(1, At(8), At(11), ReservationState.Active, "Running soak");
        var scheduled = await SeedAsync(2, At(14), At(15), ReservationState.Scheduled, "Afternoon load");
        await SeedAsync(3, At(9, daysAhead: -1), At(10, daysAhead: -1), ReservationState.Completed, "Yesterday's chaos");
        await SeedAsync(4, At(14), At(15), ReservationState.Scheduled, "Ben's own", TestActors.Ben);

        var page = RenderPage("[data-testid=reservation-row]");

        Assert.Equal(["Running soak", "Afternoon load", "Yesterday's chaos"], page.FindAll("[data-testid=reservation-row]").Select(r => r.TextContent));
        Assert.Equal(active.Id.ToString(), page.Find("[data-testid=reservation-release]").GetAttribute("data-reservation-id"));
        Assert.Equal(scheduled.Id.ToString(), page.Find("[data-testid=reservation-cancel]").GetAttribute("data-reservation-id"));
    }

    [Fact]
    public async Task An_infrastructure_failure_says_in_words_and_an_icon_that_the_environment_failed_and_a_test_failure_that_the_test_did()
    {
        var broken = await SeedAsync(1, At(7), At(8), ReservationState.Failed, "Broken by env-1");
        var failing = await SeedAsync(2, At(7), At(8), ReservationState.Failed, "Own bug");
        await using (var db = Database.CreateDbContext())
        {
            db.TestRuns.Add(new TestRun { ReservationId = broken.Id, EnvironmentId = broken.EnvironmentId, FencingToken = 1, State = TestRunState.Lost,
                StartedUtc = At(7), EndedUtc = At(7, 30), Attribution = RunAttribution.Infrastructure });
            db.TestRuns.Add(new TestRun { ReservationId = failing.Id, EnvironmentId = failing.EnvironmentId, FencingToken = 1, State = TestRunState.Failed,
                StartedUtc = At(7), EndedUtc = At(7, 30), Attribution = RunAttribution.Test });
            await db.SaveChangesAsync();
        }

        var page = RenderPage("[data-testid=run-attribution]");

        var chips = page.FindAll("[data-testid=run-attribution]");
        var environment = chips.Single(c => c.GetAttribute("data-attribution") == "Infrastructure");
        Assert.Contains("environment failed", environment.TextContent);
        Assert.Contains("does not count against your weekly hours", environment.GetAttribute("title"));
        Assert.NotNull(environment.QuerySelector("svg")); // an icon as well as the word, not a colour alone
        Assert.Contains("test failed", chips.Single(c => c.GetAttribute("data-attribution") == "Test").TextContent);
    }

    [Fact]
    public async Task My_reservations_release_now_asks_first_then_releases_the_running_one()
    {
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var active = await SeedAsync(1, At(8), At(11), ReservationState.Active, "Running soak");
        var page = RenderPage("[data-testid=reservation-release]");

        page.Find("[data-testid=reservation-release]").Click();
        var yes = dialogs.WaitForElements(".mud-message-box button").Single(b => b.TextContent.Contains("Release now"));
        Assert.Contains("Stop 'Running soak' on Env 1", dialogs.Find(".mud-message-box").TextContent);
        yes.Click();

        page.WaitForAssertion(() => Assert.Equal("Releasing", page.Find("[data-testid=reservation-row]").GetAttribute("data-state")));
        Assert.Empty(page.FindAll("[data-testid=reservation-release]"));
        Assert.Equal(ReservationState.Releasing, (await Services.GetRequiredService<ReservationQueries>().ByIdAsync(active.Id))!.State);
        var shown = Assert.Single(Services.GetRequiredService<ISnackbar>().ShownSnackbars);
        Assert.Equal(Severity.Success, shown.Severity);
    }

    [Fact]
    public async Task My_reservations_keep_running_leaves_the_lease_alone()
    {
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var active = await SeedAsync(1, At(8), At(11), ReservationState.Active, "Running soak");
        var page = RenderPage("[data-testid=reservation-release]");

        page.Find("[data-testid=reservation-release]").Click();
        dialogs.WaitForElements(".mud-message-box button").Single(b => b.TextContent.Contains("Keep running")).Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll(".mud-message-box")));
        Assert.Equal(ReservationState.Active, (await Services.GetRequiredService<ReservationQueries>().ByIdAsync(active.Id))!.State);
        Assert.Single(page.FindAll("[data-testid=reservation-release]"));
    }

    [Fact]
    public async Task My_reservations_subscribe_shows_a_feed_url_whose_token_opens_only_the_feeds()
    {
        var page = RenderPage("[data-testid=mine-empty]");

        page.Find("[data-testid=feed-subscribe]").Click();

        var url = page.WaitForElement("[data-testid=feed-url]").TextContent;
        Assert.StartsWith("http://localhost/feeds/mine.ics?token=lb_", url);
        var token = Uri.UnescapeDataString(url[(url.IndexOf("token=", StringComparison.Ordinal) + "token=".Length)..]);
        var valid = await Services.GetRequiredService<ApiTokenService>().ValidateAsync(token);
        Assert.Equal((ApiScope.Feed, TestActors.Ana.Id), (valid!.Scope, valid.OwnerId));
    }

    [Fact]
    public async Task My_reservations_show_a_readiness_move_and_a_readiness_risk_on_the_scheduled_reservations()
    {
        const string moved = "Env 3 failed its readiness check 10 minutes before your slot (Health endpoint answered 503 Service Unavailable); "
                             + "your reservation moved to Env 5, same time.";
        const string risk = "At risk: Env 2 failed its readiness check 10 minutes before your slot (Health endpoint answered 503 Service Unavailable), "
                            + "and no other environment is free for this slot. It is checked again at the start; move it, or wait.";
        var movedOne = await SeedAsync(5, At(14), At(15), ReservationState.Scheduled, "Moved soak");
        var atRisk = await SeedAsync(2, At(16), At(17), ReservationState.Scheduled, "Risky load");
        var plain = await SeedAsync(1, At(18), At(19), ReservationState.Scheduled, "Plain chaos");
        await using (var db = Database.CreateDbContext())
        {
            await db.Reservations.Where(r => r.Id == movedOne.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.Outcome, moved));
            await db.Reservations.Where(r => r.Id == atRisk.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.Outcome, risk).SetProperty(r => r.AtRisk, true));
        }

        var page = RenderPage("[data-testid=reservation-row]");

        var outcomes = page.FindAll("[data-testid=reservation-outcome]");
        Assert.Equal([movedOne.Id.ToString(), atRisk.Id.ToString()], outcomes.Select(o => o.GetAttribute("data-reservation-id")));
        Assert.Equal([moved, risk], outcomes.Select(o => o.TextContent));
        Assert.Contains("mud-info-text", outcomes[0].ClassName);
        Assert.Contains("mud-warning-text", outcomes[1].ClassName);
        Assert.DoesNotContain(outcomes, o => o.GetAttribute("data-reservation-id") == plain.Id.ToString());
    }
}
