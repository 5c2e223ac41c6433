using Bunit;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Calendar;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.Features.Calendar;

/// <summary>The calendar's move form (the no-drag path) around New York's clock changes in 2027.</summary>
public sealed class ReservationMoveFormTests : ComponentTestBase
{
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private readonly List<BookingResult> _results = [];

    [Theory]
    [InlineData(-240, 5)] // 01:30 EDT
    [InlineData(-300, 6)] // 01:30 EST
    public async Task A_start_that_happens_twice_asks_which_one_and_moves_to_the_one_picked(int offsetMinutes, int utcHour)
    {
        var form = await RenderFormAsync(new DateTimeOffset(2027, 11, 6, 12, 0, 0, TimeSpan.Zero), new DateTime(2027, 11, 6, 18, 0, 0, DateTimeKind.Utc));
        DateTimeFields.Type(form.Find, "move-start", "2027-11-07T01:30");

        var choices = form.FindAll("[data-testid=move-start-offset-choice]");
        Assert.Equal(["01:30 EDT (UTC\u22124)", "01:30 EST (UTC\u22125)"], choices.Select(c => c.TextContent.Trim()).ToList());
        form.Find("[data-testid=move-submit]").Click();
        form.WaitForAssertion(() => Assert.Contains("01:30 happens twice on Sun 7 Nov 2027", Assert.Single(_results).Message));

        form.FindAll("[data-testid=move-start-offset-choice]").Single(c => c.GetAttribute("data-offset") == offsetMinutes.ToString()).Click();
        form.Find("[data-testid=move-submit]").Click();

        form.WaitForAssertion(() => Assert.True(_results[^1].Succeeded, _results[^1].Message));
        var moved = Assert.Single(await ReservationsAsync());
        Assert.Equal(new DateTime(2027, 11, 7, utcHour, 30, 0, DateTimeKind.Utc), moved.StartUtc);
    }

    [Fact]
    public async Task A_start_the_clocks_skip_says_so_and_moves_nothing()
    {
        var start = new DateTime(2027, 3, 13, 18, 0, 0, DateTimeKind.Utc);
        var form = await RenderFormAsync(new DateTimeOffset(2027, 3, 13, 12, 0, 0, TimeSpan.Zero), start);
        DateTimeFields.Type(form.Find, "move-start", "2027-03-14T02:30");

        form.Find("[data-testid=move-submit]").Click();

        form.WaitForAssertion(() => Assert.Equal(
            "02:30 does not exist on Sun 14 Mar 2027 in America/New_York: the clocks go forward an hour that night. Pick another start.",
            Assert.Single(_results).Message));
        Assert.Equal(start, Assert.Single(await ReservationsAsync()).StartUtc);
    }

    private async Task<IRenderedComponent<ReservationMoveForm>> RenderFormAsync(DateTimeOffset now, DateTime startUtc)
    {
        Clock.SetUtcNow(now);
        ViewerTime.Use(NewYork);
        var booked = await Services.GetRequiredService<BookingService>()
            .BookAsync(new BookingRequest(Env(2).Id, startUtc, TimeSpan.FromMinutes(60), "Night soak", TestKind.Soak, ""), TestActors.Ana);
        Assert.True(booked.Succeeded, booked.Message);
        var row = Assert.Single(await ReservationsAsync());
        var environments = Environments.Select(e => new EnvironmentRow(e.Id, e.Key, e.Name, e.Description, e.State, e.Health, e.QuarantineReason)).ToList();
        return Render<ReservationMoveForm>(p => p
            .Add(x => x.Reservation, row)
            .Add(x => x.Environments, environments)
            .Add(x => x.Viewer, TestActors.Ana)
            .Add(x => x.OnResult, (BookingResult r) => _results.Add(r)));
    }
}
