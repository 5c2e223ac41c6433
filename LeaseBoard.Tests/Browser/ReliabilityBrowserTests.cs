using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.Browser;

/// <summary>The reliability page in real Chromium: the charts drawn, the table read, the period switched; the README's screenshot.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class ReliabilityBrowserTests(SharedAppFixture app)
{
    [SkippableFact]
    public async Task The_reliability_page_charts_each_environments_runs_and_failures_and_switches_to_30_days()
    {
        await SeedWeekOfRunsAsync();
        await using var chromium = await Chromium.LaunchAsync();
        var context = await chromium.Browser.NewContextAsync(new()
        {
            BaseURL = app.BaseAddress.ToString(), TimezoneId = CalendarFlowTests.ViewerZone, Locale = "en-GB", ViewportSize = new() { Width = 1280, Height = 900 },
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/signin?ReturnUrl=%2Freliability");
        await page.GetByTestId("signin-name").FillAsync("Rhea Reliable");
        await page.GetByTestId("signin-submit").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/reliability");
        await page.GetByTestId("circuit-live").WaitForAsync(new() { State = WaitForSelectorState.Attached }); // the period switch needs the circuit

        await Assertions.Expect(page.GetByTestId("reliability-row")).ToHaveCountAsync(5);
        await Assertions.Expect(page.GetByTestId("reliability-utilisation-chart").Locator("svg rect, svg path").First).ToBeAttachedAsync();
        await Assertions.Expect(page.GetByTestId("reliability-failures-chart").Locator("svg").First).ToBeVisibleAsync();
        var env5 = page.Locator("tr").Filter(new() { Has = page.Locator("[data-testid=reliability-row][data-environment=env-5]") });
        await Assertions.Expect(env5.GetByTestId("reliability-infrastructure")).ToContainTextAsync("of finished runs");
        Assert.True(int.Parse((await env5.GetByTestId("reliability-infrastructure").TextContentAsync())!.Trim().Split(' ')[0]) >= 2);
        await Screenshots.SaveAsync(page, "reliability.png");

        var weekRuns = int.Parse((await env5.GetByTestId("reliability-runs").TextContentAsync())!.Trim());
        await page.GetByTestId("reliability-period").GetByText("Last 30 days").ClickAsync();
        await Assertions.Expect(env5.GetByTestId("reliability-runs")).Not.ToHaveTextAsync(weekRuns.ToString()); // the run 20 days ago joins
    }

    /// <summary>A week of env-5's runs in the past (two through the infrastructure, a hang), and one 20 days ago: nothing live, so no other test is in their way.</summary>
    private async Task SeedWeekOfRunsAsync()
    {
        var dbs = app.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>();
        await using var db = await dbs.CreateDbContextAsync();
        var env5 = await db.Environments.SingleAsync(e => e.Key == "env-5");
        var now = DateTime.UtcNow;
        (double DaysAgo, double Hours, TestRunState State, RunAttribution Attribution)[] runs =
        [
            (1, 3, TestRunState.Succeeded, RunAttribution.Passed), (2, 2, TestRunState.Failed, RunAttribution.Infrastructure),
            (3, 2.5, TestRunState.Lost, RunAttribution.Infrastructure), (4, 1, TestRunState.Hung, RunAttribution.Hung),
            (5, 3, TestRunState.Failed, RunAttribution.Test), (20, 3, TestRunState.Succeeded, RunAttribution.Passed),
        ];
        foreach (var (daysAgo, hours, state, attribution) in runs)
        {
            var start = now.AddDays(-daysAgo);
            var reservation = new Reservation
            {
                EnvironmentId = env5.Id, OwnerId = "local:rhea seed", OwnerName = "Rhea Seed", Title = $"Past {attribution} run", StartUtc = start, EndUtc = start.AddHours(hours),
                State = state == TestRunState.Succeeded ? ReservationState.Completed : ReservationState.Failed, EndedUtc = start.AddHours(hours), CreatedUtc = start, UpdatedUtc = start,
            };
            reservation.Runs.Add(new TestRun { EnvironmentId = env5.Id, FencingToken = 0, State = state, Attribution = attribution, StartedUtc = start, EndedUtc = start.AddHours(hours) });
            db.Reservations.Add(reservation);
        }
        await db.SaveChangesAsync();
    }
}
