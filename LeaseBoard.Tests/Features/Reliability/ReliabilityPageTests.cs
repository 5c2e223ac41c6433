using Bunit;
using LeaseBoard.Domain;
using LeaseBoard.Features.Reliability;
using LeaseBoard.Tests.TestSupport;
using MudBlazor;

namespace LeaseBoard.Tests.Features.Reliability;

/// <summary>/reliability on a real database: the table's figures, the charts, and the period switch.</summary>
public sealed class ReliabilityPageTests : ComponentTestBase
{
    [Fact]
    public async Task The_page_shows_each_environments_figures_in_a_table_and_two_charts_and_switches_to_30_days()
    {
        var reservation = await new ReservationBuilder(Env(2).Id, At(7, daysAhead: -10), At(8, daysAhead: -10)).InState(ReservationState.Failed).SaveAsync(Database);
        await using (var db = Database.CreateDbContext())
        {
            db.TestRuns.Add(new TestRun { ReservationId = reservation.Id, EnvironmentId = Env(2).Id, FencingToken = 1, State = TestRunState.Lost,
                StartedUtc = Now.AddDays(-10), EndedUtc = Now.AddDays(-10).AddHours(12), Attribution = RunAttribution.Infrastructure });
            db.TestRuns.Add(new TestRun { ReservationId = reservation.Id, EnvironmentId = Env(2).Id, FencingToken = 2, State = TestRunState.Hung,
                StartedUtc = Now.AddDays(-1), EndedUtc = Now.AddDays(-1).AddHours(6), Attribution = RunAttribution.Hung });
            await db.SaveChangesAsync();
        }
        Render<MudPopoverProvider>();

        var page = Render<ReliabilityPage>();
        page.WaitForElement("[data-testid=reliability-row]");

        string Cell(string env, string column) =>
            page.FindAll("tr").Single(r => r.QuerySelector($"[data-testid=reliability-row][data-environment={env}]") is not null)
                .QuerySelector($"[data-testid={column}]")!.TextContent.Trim();
        Assert.Equal(5, page.FindAll("[data-testid=reliability-row]").Count);
        Assert.Equal(("1", "1", "0 (0% of finished runs)"), (Cell("env-2", "reliability-runs"), Cell("env-2", "reliability-hangs"), Cell("env-2", "reliability-infrastructure")));
        Assert.Equal("4%", Cell("env-2", "reliability-utilisation")); // 6 h of 168
        Assert.NotNull(page.Find("[data-testid=reliability-utilisation-chart]"));
        Assert.NotNull(page.Find("[data-testid=reliability-failures-chart]"));

        page.FindAll("[data-testid=reliability-period] button").Single(b => b.TextContent.Contains("30")).Click();

        page.WaitForAssertion(() => Assert.Equal("1 (50% of finished runs)", Cell("env-2", "reliability-infrastructure")));
        Assert.Equal("30 d 0 h", Cell("env-2", "reliability-mtbf")); // 30 days in service, one infrastructure failure
    }
}
