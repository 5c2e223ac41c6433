using AngleSharp.Dom;
using Bunit;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Calendar;
using LeaseBoard.Tests.TestSupport;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LeaseBoard.Tests.Features.Calendar;

/// <summary>
/// The calendar's "Only mine" filter, its search and the "My next reservation" strip, on a real database;
/// "now" is Monday 30 Nov 2026 09:02 UTC, the viewer is Ana in UTC.
/// </summary>
public sealed class CalendarFiltersAndStripTests : ComponentTestBase
{
    private BookingService Booking => Services.GetRequiredService<BookingService>();
    private NavigationManager Navigation => Services.GetRequiredService<NavigationManager>();

    private async Task<int> BookAsync(Actor who, int env, DateTime start, int minutes, string title)
    {
        var result = await Booking.BookAsync(new BookingRequest(Env(env).Id, start, TimeSpan.FromMinutes(minutes), title, TestKind.Load, "users=10"), who);
        Assert.True(result.Succeeded, result.Message);
        return result.Reservation!.Id;
    }

    private async Task<int> AddRunningAsync(Actor who, int env, DateTime start, DateTime end, string title)
    {
        await using var db = Database.CreateDbContext();
        var reservation = new ReservationBuilder(Env(env).Id, start, end).InState(ReservationState.Active).OwnedBy(who).Titled(title).Build();
        db.Reservations.Add(reservation);
        await db.SaveChangesAsync();
        return reservation.Id;
    }

    private IRenderedComponent<LeaseBoard.Features.Calendar.CalendarPage> RenderCalendar()
    {
        var page = Render<LeaseBoard.Features.Calendar.CalendarPage>();
        page.WaitForElement("[data-testid=calendar]");
        return page;
    }

    /// <summary>The element that takes the input: MudBlazor puts the test id on the input itself or on its wrapper.</summary>
    private static IElement InputOf(IRenderedComponent<LeaseBoard.Features.Calendar.CalendarPage> page, string testId)
    {
        var element = page.Find($"[data-testid={testId}]");
        return element.TagName == "INPUT" ? element : element.QuerySelector("input") ?? throw new InvalidOperationException($"{testId} has no input");
    }

    /// <summary>
    /// Types into the search box and lets MudBlazor's debounce (which runs on the fake TimeProvider) elapse: the clock moves
    /// past the 250 ms until the page has taken the text (it shows in the address), within a deadline.
    /// </summary>
    private async Task SearchAsync(IRenderedComponent<LeaseBoard.Features.Calendar.CalendarPage> page, string text)
    {
        InputOf(page, "calendar-search").Input(text);
        var expected = text.Length == 0 ? null : "q=" + Uri.EscapeDataString(text);
        for (var attempt = 0; attempt < 40; attempt++)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(300));
            await Task.Delay(25);
            var query = new Uri(Navigation.Uri).Query;
            if (expected is null ? !query.Contains("q=") : query.Contains(expected)) return;
        }
        throw new TimeoutException($"The search for \"{text}\" never reached the page.");
    }

    private static string Text(IRenderedComponent<LeaseBoard.Features.Calendar.CalendarPage> page, string testId) =>
        page.Find($"[data-testid={testId}]").TextContent.Trim();

    [Fact]
    public async Task Calendar_only_mine_hides_others_blocks_keeps_them_as_taken_time_for_dragging_and_puts_mine_1_in_the_address()
    {
        var module = JSInterop.SetupModule("./Features/Calendar/CalendarPage.razor.js");
        var mine = await BookAsync(TestActors.Ana, 1, At(14), 60, "Anas load");
        var bens = await BookAsync(TestActors.Ben, 2, At(13), 60, "Bens soak");
        var page = RenderCalendar();
        Assert.Single(page.FindAll($"[data-reservation-id='{bens}']"));

        InputOf(page, "calendar-only-mine").Change(true);

        page.WaitForAssertion(() => Assert.Empty(page.FindAll($"[data-reservation-id='{bens}']")));
        Assert.Empty(page.FindAll($"[data-buffer-of='{bens}']"));
        Assert.Single(page.FindAll($"[data-lane=env-1] [data-reservation-id='{mine}']"));
        Assert.Equal("1", new Uri(Navigation.Uri).Query.TrimStart('?').Split('&').Single(p => p.StartsWith("mine=")).Split('=')[1]);
        // The drag module still gets Ben's block: a drag over it is refused, not offered as free.
        page.WaitForAssertion(() =>
        {
            var sent = module.Invocations.Last(i => i.Identifier is "attach" or "update");
            var data = (CalendarScriptData)sent.Arguments[^1]!;
            Assert.Contains(data.Lanes.Single(l => l.Key == "env-2").Blocks, b => b.Id == bens);
        });

        InputOf(page, "calendar-only-mine").Change(false);
        page.WaitForAssertion(() => Assert.Single(page.FindAll($"[data-reservation-id='{bens}']")));
        Assert.DoesNotContain("mine=", Navigation.Uri);
    }

    [Fact]
    public async Task Calendar_opened_with_mine_1_and_q_in_the_address_starts_filtered_and_searched()
    {
        var mine = await BookAsync(TestActors.Ana, 1, At(14), 60, "Anas load");
        var other = await BookAsync(TestActors.Ana, 3, At(16), 60, "Anas chaos");
        var bens = await BookAsync(TestActors.Ben, 2, At(13), 60, "Bens load");
        Navigation.NavigateTo("/?mine=1&q=LOAD");

        var page = RenderCalendar();

        Assert.Empty(page.FindAll($"[data-reservation-id='{bens}']"));
        Assert.Equal("true", page.Find($"[data-reservation-id='{mine}']").GetAttribute("data-match"));
        Assert.Equal("false", page.Find($"[data-reservation-id='{other}']").GetAttribute("data-match"));
        Assert.Equal("1 match", Text(page, "calendar-search-count")); // Ben's "load" is hidden by Only mine, so not counted
        Assert.Equal("LOAD", InputOf(page, "calendar-search").GetAttribute("value"));
        Assert.True(InputOf(page, "calendar-only-mine").HasAttribute("checked") || InputOf(page, "calendar-only-mine").GetAttribute("aria-checked") == "true");
    }

    [Fact]
    public async Task Calendar_a_link_to_the_bare_address_while_filtered_shows_everything_again()
    {
        var bens = await BookAsync(TestActors.Ben, 2, At(13), 60, "Bens soak");
        Navigation.NavigateTo("/?mine=1&q=soak");
        var page = RenderCalendar();
        Assert.Empty(page.FindAll($"[data-reservation-id='{bens}']"));

        await page.InvokeAsync(() => Navigation.NavigateTo("/")); // e.g. the nav menu's Calendar link: the same page instance

        page.WaitForAssertion(() => Assert.Single(page.FindAll($"[data-reservation-id='{bens}']")));
        Assert.Equal("", Text(page, "calendar-search-count"));
    }

    [Fact]
    public async Task Calendar_search_dims_blocks_matching_neither_owner_nor_title_counts_the_matches_and_says_when_none_match()
    {
        var anas = await BookAsync(TestActors.Ana, 1, At(14), 60, "Checkout load");
        var bensLoad = await BookAsync(TestActors.Ben, 2, At(13), 60, "Search load");
        var bensSoak = await BookAsync(TestActors.Ben, 3, At(15), 60, "Payments soak");
        var page = RenderCalendar();
        Assert.Equal("", Text(page, "calendar-search-count"));
        Assert.All(page.FindAll("[data-reservation-id]"), b => Assert.Equal("true", b.GetAttribute("data-match")));

        InputOf(page, "calendar-search").Input("LOAD"); // title, any case
        Clock.Advance(TimeSpan.FromMilliseconds(200)); // MudBlazor's debounce runs on the TimeProvider: not yet
        Assert.Equal("", Text(page, "calendar-search-count"));
        await SearchAsync(page, "LOAD");

        page.WaitForAssertion(() => Assert.Equal("2 matches", Text(page, "calendar-search-count")));
        Assert.DoesNotContain("cal-block-dimmed", page.Find($"[data-reservation-id='{anas}']").ClassList);
        Assert.DoesNotContain("cal-block-dimmed", page.Find($"[data-reservation-id='{bensLoad}']").ClassList);
        var dimmed = page.Find($"[data-reservation-id='{bensSoak}']");
        Assert.Contains("cal-block-dimmed", dimmed.ClassList); // dimmed, still there
        Assert.Contains("q=LOAD", Navigation.Uri);

        await SearchAsync(page, "ben"); // owner's display name
        page.WaitForAssertion(() => Assert.Contains("cal-block-dimmed", page.Find($"[data-reservation-id='{anas}']").ClassList));
        Assert.Equal("2 matches", Text(page, "calendar-search-count"));
        Assert.Contains("q=ben", Navigation.Uri);
        Assert.Equal("true", page.Find($"[data-reservation-id='{bensSoak}']").GetAttribute("data-match"));

        await SearchAsync(page, "xyz");
        page.WaitForAssertion(() => Assert.Equal("No reservations match \"xyz\"", Text(page, "calendar-search-count")));
        Assert.Equal(3, page.FindAll("[data-reservation-id].cal-block-dimmed").Count);

        await SearchAsync(page, "");
        page.WaitForAssertion(() => Assert.Equal("", Text(page, "calendar-search-count")));
        Assert.Empty(page.FindAll(".cal-block-dimmed"));
        Assert.DoesNotContain("q=", Navigation.Uri);
    }

    [Fact]
    public async Task Calendar_strip_shows_the_viewers_next_reservation_with_its_time_state_and_time_until_start()
    {
        await BookAsync(TestActors.Ben, 1, At(10), 60, "Bens earlier run"); // not mine
        await BookAsync(TestActors.Ana, 3, At(16), 60, "Anas later run");
        var next = await BookAsync(TestActors.Ana, 2, At(14), 60, "Afternoon load");

        var page = RenderCalendar();

        var strip = page.Find("[data-testid=my-next-strip]");
        Assert.Equal(next.ToString(), strip.GetAttribute("data-next-id"));
        Assert.Equal("Afternoon load", Text(page, "my-next-title"));
        Assert.Equal("Env 2", Text(page, "my-next-environment"));
        Assert.Equal("Mon 30 Nov 14:00–15:00", Text(page, "my-next-when"));
        Assert.Equal("scheduled", strip.QuerySelector("[data-testid=reservation-state]")!.TextContent.Trim());
        Assert.Equal("starts in 4 h 58 min", Text(page, "my-next-countdown"));
        Assert.Equal("Cancel reservation", Text(page, "my-next-release"));
        Assert.Empty(page.FindAll("[data-testid=my-next-empty]"));
    }

    [Fact]
    public async Task Calendar_strip_prefers_the_running_lease_and_counts_down_its_time_left()
    {
        await BookAsync(TestActors.Ana, 2, At(10), 60, "Anas next");
        var running = await AddRunningAsync(TestActors.Ana, 1, At(8), At(9, 43), "Morning soak");

        var page = RenderCalendar();

        Assert.Equal(running.ToString(), page.Find("[data-testid=my-next-strip]").GetAttribute("data-next-id"));
        Assert.Equal("41 min left", Text(page, "my-next-countdown"));
        Assert.Equal("Release now", Text(page, "my-next-release"));
        Clock.Advance(TimeSpan.FromMinutes(1)); // the page's tick
        page.WaitForAssertion(() => Assert.Equal("40 min left", Text(page, "my-next-countdown")));
    }

    [Fact]
    public async Task Calendar_strip_with_nothing_booked_shows_a_calm_empty_state_and_fills_when_a_booking_arrives_live()
    {
        await BookAsync(TestActors.Ben, 1, At(10), 60, "Bens run");
        var page = RenderCalendar();

        Assert.Equal("You have nothing booked — drag across a lane to book", Text(page, "my-next-empty"));
        Assert.Empty(page.FindAll("[data-testid=my-next-extend], [data-testid=my-next-release]"));

        await BookAsync(TestActors.Ana, 4, At(12), 30, "Booked elsewhere"); // e.g. from another tab: the board event refreshes the strip

        page.WaitForAssertion(() => Assert.Equal("Booked elsewhere", Text(page, "my-next-title")));
    }

    [Fact]
    public async Task Calendar_strip_extend_adds_30_minutes_through_the_booking_service()
    {
        var id = await BookAsync(TestActors.Ana, 2, At(14), 60, "Extend me");
        var page = RenderCalendar();

        page.Find("[data-testid=my-next-extend]").Click();

        page.WaitForAssertion(() => Assert.Equal("Mon 30 Nov 14:00–15:30", Text(page, "my-next-when")));
        Assert.Equal("Extended Extend me by 30 minutes.", Text(page, "calendar-status"));
        var stored = await Services.GetRequiredService<ReservationQueries>().ByIdAsync(id);
        Assert.Equal(At(15, 30), stored!.EndUtc);
        Assert.Empty(page.FindAll("[data-testid=my-next-message]"));
    }

    [Fact]
    public async Task Calendar_strip_extend_into_a_taken_slot_is_refused_with_the_reason_in_place_and_changes_nothing()
    {
        await BookAsync(TestActors.Ben, 2, At(15, 20), 60, "Bens run");
        var id = await BookAsync(TestActors.Ana, 2, At(14), 60, "Boxed in");
        var page = RenderCalendar();

        page.Find("[data-testid=my-next-extend]").Click();

        page.WaitForAssertion(() => Assert.Equal("Env 2 is taken Mon 30 Nov 15:20–16:20 by 'Bens run' (Ben), with a 10 minutes changeover after it.",
            Text(page, "my-next-message")));
        var stored = await Services.GetRequiredService<ReservationQueries>().ByIdAsync(id);
        Assert.Equal(At(15), stored!.EndUtc);
        Assert.Equal("Mon 30 Nov 14:00–15:00", Text(page, "my-next-when"));
    }

    [Fact]
    public async Task Calendar_strip_release_asks_first_keeps_the_lease_when_declined_and_releases_it_when_confirmed()
    {
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var id = await AddRunningAsync(TestActors.Ana, 1, At(8), At(10), "Running soak");
        var page = RenderCalendar();
        var queries = Services.GetRequiredService<ReservationQueries>();

        var declining = page.Find("[data-testid=my-next-release]").ClickAsync(new());
        dialogs.WaitForElements(".mud-message-box button").Single(b => b.TextContent.Contains("Keep running")).Click();
        await declining;
        Assert.Equal(ReservationState.Active, (await queries.ByIdAsync(id))!.State);

        var confirming = page.Find("[data-testid=my-next-release]").ClickAsync(new());
        var box = dialogs.WaitForElement(".mud-message-box");
        Assert.Contains("Stop 'Running soak' on Env 1", box.TextContent);
        dialogs.WaitForElements(".mud-message-box button").Single(b => b.TextContent.Contains("Release now")).Click();
        await confirming;

        Assert.Equal(ReservationState.Releasing, (await queries.ByIdAsync(id))!.State);
        page.WaitForAssertion(() => Assert.Equal("You have nothing booked — drag across a lane to book", Text(page, "my-next-empty")));
        Assert.Equal("Released Running soak.", Text(page, "calendar-status"));
    }

    [Fact]
    public async Task Calendar_strip_cancel_of_an_upcoming_reservation_goes_through_cancel_after_confirmation()
    {
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var id = await BookAsync(TestActors.Ana, 2, At(14), 60, "Not needed");
        var page = RenderCalendar();

        var click = page.Find("[data-testid=my-next-release]").ClickAsync(new());
        dialogs.WaitForElements(".mud-message-box button").Single(b => b.TextContent.Contains("Cancel reservation")).Click();
        await click;

        Assert.Equal(ReservationState.Cancelled, (await Services.GetRequiredService<ReservationQueries>().ByIdAsync(id))!.State);
        page.WaitForAssertion(() => Assert.Empty(page.FindAll($"[data-reservation-id='{id}']")));
    }
}
