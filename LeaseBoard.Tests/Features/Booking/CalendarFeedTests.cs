using LeaseBoard.Tests.Features.Api;
using LeaseBoard.Features.Booking;
using System.Net;
using System.Net.Http.Json;
using IcalCalendar = Ical.Net.Calendar;
using LeaseBoard.Domain;
using LeaseBoard.Features.Api;
using LeaseBoard.Features.Tokens;
using LeaseBoard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.Features.Booking;

public sealed class CalendarFeedTests(ApiTestHost host) : IClassFixture<ApiTestHost>
{
    private static readonly Actor Eve = new("local:eve", "Eve", false);
    private static readonly Actor Finn = new("local:finn", "Finn", false);

    [Fact]
    public async Task My_feed_is_valid_icalendar_with_exactly_my_live_reservations_and_an_environment_feed_holds_that_lane()
    {
        using var eve = host.Client(await host.TokenAsync(Eve));
        using var finn = host.Client(await host.TokenAsync(Finn));
        var mine = await Book(eve, "env-2", ApiTestHost.At(8, 9));
        var cancelled = await Book(eve, "env-3", ApiTestHost.At(8, 12));
        Assert.Equal(HttpStatusCode.OK, (await eve.DeleteAsync($"/api/v1/reservations/{cancelled}")).StatusCode);
        var theirs = await Book(finn, "env-2", ApiTestHost.At(8, 14));
        var feedToken = await host.TokenAsync(Eve, ApiScope.Feed);
        using var anonymous = host.Client(null);

        var calendar = IcalCalendar.Load(await anonymous.GetStringAsync(CalendarFeeds.FeedUrl("/", feedToken)))!;
        var only = Assert.Single(calendar.Events);
        Assert.Equal($"reservation-{mine}@leaseboard", only.Uid);
        Assert.Equal("Feed test (Env 2)", only.Summary);
        Assert.Contains("State: Scheduled", only.Description);
        Assert.Equal(DateTime.Parse(ApiTestHost.At(8, 9)).ToUniversalTime(), only.Start!.AsUtc);

        var lane = IcalCalendar.Load(await anonymous.GetStringAsync(CalendarFeeds.FeedUrl("/", feedToken, "env-2")))!;
        Assert.Equal(new HashSet<string> { $"reservation-{mine}@leaseboard", $"reservation-{theirs}@leaseboard" }, lane.Events.Select(e => e.Uid!).ToHashSet());
    }

    [Fact]
    public async Task A_stored_title_with_control_characters_reaches_the_feed_without_any_raw_control_character()
    {
        var gus = new Actor("local:gus", "Gus", false);
        using var api = host.Client(await host.TokenAsync(gus));
        var id = await Book(api, "env-4", ApiTestHost.At(9, 11));
        // Written around the booking rules, as a row from before them would be.
        await using (var db = await host.Factory.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>().CreateDbContextAsync())
            Assert.Equal(1, await db.Reservations.Where(r => r.Id == id)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.Title, "Bell\u0007 and\u0000 null\tand\u2028more").SetProperty(r => r.OwnerName, "Gus\u001b[31m")));
        using var anonymous = host.Client(null);

        var ics = await anonymous.GetStringAsync(CalendarFeeds.FeedUrl("/", await host.TokenAsync(gus, ApiScope.Feed)));

        var raw = ics.Where(c => (char.IsControl(c) && c is not '\r' and not '\n') || c is '\u2028' or '\u2029').Select(c => $"U+{(int)c:X4}").ToList();
        Assert.True(raw.Count == 0, "raw control characters in the feed: " + string.Join(", ", raw));
        var only = Assert.Single(IcalCalendar.Load(ics)!.Events);
        Assert.Equal("Bell  and  null and more (Env 4)", only.Summary);
        Assert.Contains("by Gus [31m.", only.Description);
    }

    [Fact]
    public async Task Feeds_refuse_missing_revoked_and_non_feed_tokens_and_a_feed_token_opens_nothing_else()
    {
        using var anonymous = host.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/feeds/mine.ics")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(CalendarFeeds.FeedUrl("/", await host.TokenAsync(Eve, ApiScope.Book)))).StatusCode);

        var feedToken = await host.TokenAsync(Finn, ApiScope.Feed);
        using (var withFeedToken = host.Client(feedToken))
            Assert.Equal(HttpStatusCode.Forbidden, (await withFeedToken.GetAsync("/api/v1/environments")).StatusCode);

        var tokens = host.Factory.Services.GetRequiredService<ApiTokenService>();
        Assert.True(await tokens.RevokeAsync(Finn, (await tokens.ListAsync(Finn)).Single(t => t.Scope == ApiScope.Feed).Id));
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(CalendarFeeds.FeedUrl("/", feedToken))).StatusCode);
    }

    private static async Task<int> Book(HttpClient client, string environment, string start)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/reservations",
            new { environment, start, durationMinutes = 60, title = "Feed test", testKind = "Load" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetInt32();
    }
}
