using System.Globalization;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.Browser;

/// <summary>
/// The calendar in headless Chromium on the shared app (real clock): drawing, conflicts, moving, live
/// updates between two users, and others' blocks staying put. Every test works on tomorrow (Berlin),
/// on lanes and hours of its own, with unique titles; env-1 around 14:00 stays free for BookingFlowTests.
/// </summary>
[Collection(SharedAppCollection.Name)]
public sealed class CalendarFlowTests(SharedAppFixture app)
{
    private const string UpdateScreenshotVariable = "LEASEBOARD_UPDATE_SCREENSHOT";
    internal const string ViewerZone = "Europe/Berlin";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById(ViewerZone);

    internal static DateTime TomorrowBerlin => TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Berlin).Date.AddDays(1);

    internal static DateTime TomorrowUtc(int hour, int minute = 0) =>
        TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(TomorrowBerlin.AddHours(hour).AddMinutes(minute), DateTimeKind.Unspecified), Berlin);

    [SkippableFact]
    public async Task Calendar_drawing_in_env_2_from_14_00_to_15_30_tomorrow_opens_the_prefilled_dialog_and_books_a_block_that_survives_a_reload()
    {
        await using var chromium = await Chromium.LaunchAsync();
        await SeedOthersAsync();
        var (context, page) = await OpenCalendarAsync(chromium, "Cleo Calendar");
        await using var _ = context;
        var title = "Drawn load " + Unique();

        await DragAsync(page, "env-2", (14, 0), "env-2", (15, 30));

        var dialog = page.GetByTestId("reservation-dialog");
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("booking-start")).ToHaveAttributeAsync("data-value", TomorrowBerlin.ToString("yyyy-MM-dd'T'14:00", CultureInfo.InvariantCulture));
        await Assertions.Expect(page.GetByTestId("booking-duration")).ToHaveValueAsync("90");
        await Assertions.Expect(page.GetByTestId("booking-environment")).ToContainTextAsync("Env 2");
        Assert.Equal("1", await page.GetByTestId("calendar").GetAttributeAsync("data-dotnet-calls")); // one call for the whole drag
        await page.GetByTestId("booking-title").FillAsync(title);
        await page.GetByTestId("booking-title").PressAsync("Tab");
        await page.GetByTestId("booking-submit").ClickAsync();
        await Assertions.Expect(dialog).ToBeHiddenAsync();

        var block = Block(page, "env-2", title);
        await Assertions.Expect(block).ToHaveCountAsync(1);
        await Assertions.Expect(block).ToHaveAttributeAsync("data-state", "Scheduled");
        await page.ReloadAsync();
        await WaitForCalendarAsync(page);
        await Assertions.Expect(Block(page, "env-2", title)).ToContainTextAsync("14:00–15:30");

        var stored = (await Queries.BetweenAsync(TomorrowUtc(0), TomorrowUtc(24))).Single(r => r.Title == title);
        Assert.Equal(("env-2", TomorrowUtc(14), TomorrowUtc(15, 30)), (stored.EnvironmentKey, stored.StartUtc, stored.EndUtc));

        await SaveScreenshotAsync(page);
    }

    [SkippableFact]
    public async Task Calendar_drawing_over_an_existing_reservation_shows_the_conflict_while_dragging_and_books_nothing()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var held = "Held soak " + Unique();
        await BookAsync(TestActors.Ben, "env-3", TomorrowUtc(16), 60, held);
        var (context, page) = await OpenCalendarAsync(chromium, "Dora Calendar");
        await using var _ = context;
        var before = (await Queries.BetweenAsync(TomorrowUtc(0), TomorrowUtc(24))).Count;

        await DragAsync(page, "env-3", (15, 30), "env-3", (16, 30), release: false);
        var ghost = page.GetByTestId("drag-ghost");
        await Assertions.Expect(ghost).ToHaveAttributeAsync("data-conflict", "true");
        await Assertions.Expect(ghost).ToContainTextAsync($"Overlaps {held} 16:00–17:00");
        await page.Mouse.UpAsync();

        await Assertions.Expect(page.GetByTestId("calendar-drag-status")).ToContainTextAsync("Can't book: Overlaps");
        await Assertions.Expect(ghost).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("reservation-dialog")).ToHaveCountAsync(0);
        Assert.Equal("0", await page.GetByTestId("calendar").GetAttributeAsync("data-dotnet-calls"));
        Assert.Equal(before, (await Queries.BetweenAsync(TomorrowUtc(0), TomorrowUtc(24))).Count);
    }

    [SkippableFact]
    public async Task Calendar_dragging_ones_own_block_to_another_lane_moves_the_reservation_there()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var title = "Movable chaos " + Unique();
        var me = new Actor("local:eve calendar", "Eve Calendar", IsAdmin: false);
        var id = await BookAsync(me, "env-4", TomorrowUtc(17), 60, title);
        var (context, page) = await OpenCalendarAsync(chromium, me.DisplayName);
        await using var _ = context;

        // Grab the block in its middle and drop it one lane down, at the same time.
        await DragAsync(page, "env-4", (17, 30), "env-5", (17, 30));

        await Assertions.Expect(Block(page, "env-5", title)).ToHaveCountAsync(1);
        await Assertions.Expect(Block(page, "env-4", title)).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("calendar-status")).ToContainTextAsync($"Moved {title} to Env 5");
        Assert.Equal("1", await page.GetByTestId("calendar").GetAttributeAsync("data-dotnet-calls"));
        var moved = await Queries.ByIdAsync(id);
        Assert.Equal(("env-5", TomorrowUtc(17), TomorrowUtc(18)), (moved!.EnvironmentKey, moved.StartUtc, moved.EndUtc));
    }

    [SkippableFact]
    public async Task Calendar_a_booking_by_one_user_appears_in_another_users_open_calendar_within_two_seconds()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var (firstContext, first) = await OpenCalendarAsync(chromium, "Finn Calendar");
        await using var _ = firstContext;
        var (secondContext, second) = await OpenCalendarAsync(chromium, "Gus Calendar");
        await using var __ = secondContext;
        var title = "Live search load " + Unique();

        await DragAsync(first, "env-5", (10, 0), "env-5", (11, 0));
        await first.GetByTestId("booking-title").FillAsync(title);
        await first.GetByTestId("booking-title").PressAsync("Tab");
        await first.GetByTestId("booking-submit").ClickAsync();
        await Assertions.Expect(first.GetByTestId("reservation-dialog")).ToBeHiddenAsync();
        var booked = System.Diagnostics.Stopwatch.StartNew();

        await Assertions.Expect(Block(second, "env-5", title)).ToHaveCountAsync(1, new() { Timeout = 2000 });
        Assert.True(booked.Elapsed < TimeSpan.FromSeconds(2), $"appeared after {booked.ElapsedMilliseconds} ms");
        await Assertions.Expect(Block(second, "env-5", title)).ToHaveAttributeAsync("data-movable", "false");
    }

    [SkippableFact]
    public async Task Calendar_a_user_cannot_drag_another_users_block_and_is_told_why()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var title = "Bens fixed run " + Unique();
        var id = await BookAsync(TestActors.Ben, "env-1", TomorrowUtc(18), 60, title);
        var (context, page) = await OpenCalendarAsync(chromium, "Hana Calendar");
        await using var _ = context;

        await DragAsync(page, "env-1", (18, 30), "env-2", (19, 30), release: false);
        await Assertions.Expect(page.GetByTestId("drag-ghost")).ToHaveCountAsync(0);
        await page.Mouse.UpAsync();

        await Assertions.Expect(page.GetByTestId("calendar-drag-status")).ToContainTextAsync($"You can't move \"{title}\": it is Ben's reservation.");
        await Assertions.Expect(Block(page, "env-1", title)).ToHaveCountAsync(1);
        Assert.Equal("0", await page.GetByTestId("calendar").GetAttributeAsync("data-dotnet-calls"));
        var unchanged = await Queries.ByIdAsync(id);
        Assert.Equal(("env-1", TomorrowUtc(18)), (unchanged!.EnvironmentKey, unchanged.StartUtc));
    }

    [SkippableFact]
    public async Task Calendar_a_slot_taken_by_someone_else_mid_drag_turns_the_ghost_to_a_conflict()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var (context, page) = await OpenCalendarAsync(chromium, "Jo Calendar");
        await using var _ = context;

        await DragAsync(page, "env-4", (19, 0), "env-4", (20, 0), release: false);
        var ghost = page.GetByTestId("drag-ghost");
        await Assertions.Expect(ghost).ToHaveAttributeAsync("data-conflict", "false");
        await Assertions.Expect(ghost).ToContainTextAsync("19:00–20:00 · 1 h");
        var taken = "Sneaky soak " + Unique();
        await BookAsync(TestActors.Ben, "env-4", TomorrowUtc(19, 30), 30, taken);

        await Assertions.Expect(ghost).ToHaveAttributeAsync("data-conflict", "true");
        await Assertions.Expect(ghost).ToContainTextAsync($"Overlaps {taken} 19:30–20:00");
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(ghost).ToHaveCountAsync(0);
        await page.Mouse.UpAsync();
        await Assertions.Expect(page.GetByTestId("reservation-dialog")).ToHaveCountAsync(0);
    }

    [SkippableFact]
    public async Task Calendar_dragging_the_end_edge_of_ones_own_block_resizes_it()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var me = new Actor("local:kai calendar", "Kai Calendar", IsAdmin: false);
        var title = "Resizable load " + Unique();
        var id = await BookAsync(me, "env-1", TomorrowUtc(20), 60, title);
        var (context, page) = await OpenCalendarAsync(chromium, me.DisplayName);
        await using var _ = context;

        // 21:00 less a minute and a half is 3 px inside the block's end edge (2 px a minute); released there plus 30 minutes.
        await DragAsync(page, "env-1", (20, 58), "env-1", (21, 28), release: false);
        await Assertions.Expect(page.GetByTestId("drag-ghost")).ToContainTextAsync("20:00–21:30 · 1 h 30");
        await page.Mouse.UpAsync();

        await Assertions.Expect(Block(page, "env-1", title)).ToContainTextAsync("20:00–21:30");
        var resized = await Queries.ByIdAsync(id);
        Assert.Equal((TomorrowUtc(20), TomorrowUtc(21, 30)), (resized!.StartUtc, resized.EndUtc));
    }

    [SkippableFact]
    public async Task Calendar_resizing_by_an_edge_grabbed_a_few_pixels_inside_keeps_that_offset_like_a_move_does()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var me = new Actor("local:max calendar", "Max Calendar", IsAdmin: false);
        var late = "Late edge load " + Unique();
        var early = "Early edge load " + Unique();
        var lateId = await BookAsync(me, "env-1", TomorrowUtc(22), 60, late);
        var earlyId = await BookAsync(me, "env-2", TomorrowUtc(20), 60, early);
        var (context, page) = await OpenCalendarAsync(chromium, me.DisplayName);
        await using var _ = context;

        // Grabbed 6 px (3 minutes) inside the end edge and moved 30 minutes: the edge goes 30 minutes, to 23:30,
        // not to the grid step under the pointer (23:27, which snaps to 23:25).
        await DragAsync(page, "env-1", (22, 57), "env-1", (23, 27), release: false);
        await Assertions.Expect(page.GetByTestId("drag-ghost")).ToContainTextAsync("22:00–23:30 · 1 h 30");
        await page.Mouse.UpAsync();
        await Assertions.Expect(Block(page, "env-1", late)).ToContainTextAsync("22:00–23:30");

        // The same for the start edge: grabbed at 20:03, moved 30 minutes earlier, the start lands on 19:30 (not 19:35).
        await DragAsync(page, "env-2", (20, 3), "env-2", (19, 33), release: false);
        await Assertions.Expect(page.GetByTestId("drag-ghost")).ToContainTextAsync("19:30–21:00 · 1 h 30");
        await page.Mouse.UpAsync();
        await Assertions.Expect(Block(page, "env-2", early)).ToContainTextAsync("19:30–21:00");

        var (lateStored, earlyStored) = (await Queries.ByIdAsync(lateId), await Queries.ByIdAsync(earlyId));
        Assert.Equal((TomorrowUtc(22), TomorrowUtc(23, 30)), (lateStored!.StartUtc, lateStored.EndUtc));
        Assert.Equal((TomorrowUtc(19, 30), TomorrowUtc(21)), (earlyStored!.StartUtc, earlyStored.EndUtc));
    }

    [SkippableFact]
    public async Task Calendar_a_short_blocks_tip_with_its_owner_shows_on_hover_and_on_keyboard_focus()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var title = "Short smoke " + Unique();
        var id = await BookAsync(TestActors.Ben, "env-3", TomorrowUtc(21), 20, title);
        var (context, page) = await OpenCalendarAsync(chromium, "Nia Calendar");
        await using var _ = context;
        await page.GetByTestId("circuit-live").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await ScrollToAsync(page, TomorrowUtc(21));
        var block = Block(page, "env-3", title);
        var tip = page.Locator($"[data-tip-of='{id}']");
        await Assertions.Expect(tip).ToBeHiddenAsync();

        await block.HoverAsync();
        await Assertions.Expect(tip).ToBeVisibleAsync();
        await Assertions.Expect(tip.Locator(".cal-block-tip-title")).ToHaveTextAsync(title);
        await Assertions.Expect(tip.Locator(".cal-block-tip-sub")).ToHaveTextAsync("21:00–21:20 · Ben · scheduled");
        await page.Mouse.MoveAsync(5, 5);
        await Assertions.Expect(tip).ToBeHiddenAsync();

        await page.GetByTestId("calendar-next-free").FocusAsync();
        for (var presses = 0; !await block.EvaluateAsync<bool>("el => el === document.activeElement"); presses++)
        {
            Assert.True(presses < 60, "Tab never reached the block");
            await page.Keyboard.PressAsync("Tab"); // through the lanes' blocks to this one
        }
        await Assertions.Expect(tip).ToBeVisibleAsync();
        var (tipBox, blockBox) = (await tip.BoundingBoxAsync(), await block.BoundingBoxAsync());
        Assert.True(tipBox!.Width > blockBox!.Width, "the tip is as clipped as the block");
    }

    [SkippableFact]
    public async Task Calendar_toolbar_at_1440_px_with_the_drawer_open_fits_and_keeps_each_buttons_label_on_one_line()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var (context, page) = await OpenCalendarAsync(chromium, "Lia Calendar", 1440, 900);
        await using var _ = context;
        await page.GetByTestId("circuit-live").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.Locator(".mud-drawer.mud-drawer--open")).ToBeVisibleAsync();
        // The longest day title there is ("Wednesday 29 September 2027"), so the fit does not depend on today's date.
        await page.GotoAsync("/?day=2027-09-29");
        await WaitForCalendarAsync(page);
        await Assertions.Expect(page.GetByTestId("calendar-title")).ToHaveTextAsync("Wednesday 29 September 2027");
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", "calendar-toolbar-1440.png") });

        var toolbar = page.GetByTestId("calendar-toolbar");
        var newButton = page.GetByTestId("calendar-new");
        var nextFree = page.GetByTestId("calendar-next-free");
        Assert.Equal(1, await TextLinesAsync(newButton));
        Assert.Equal(1, await TextLinesAsync(nextFree));
        var (newBox, nextBox, barBox) = (await newButton.BoundingBoxAsync(), await nextFree.BoundingBoxAsync(), await toolbar.BoundingBoxAsync());
        Assert.Equal(nextBox!.Height, newBox!.Height, 0.5); // both one-line buttons of the same size
        Assert.True(Math.Abs(newBox.Y - nextBox.Y) < 1, $"New reservation is on another row (top {newBox.Y}, Book next free slot's {nextBox.Y})");
        var tallest = await toolbar.EvaluateAsync<double>("el => Math.max(...[...el.children].map(c => c.getBoundingClientRect().height))");
        Assert.True(barBox!.Height <= tallest + 1, $"the toolbar takes {barBox.Height} px, more than one row of {tallest} px");
        Assert.True(await toolbar.EvaluateAsync<bool>("el => el.scrollWidth <= el.clientWidth"), "the toolbar overflows");
        Assert.True(newBox.X + newBox.Width <= barBox.X + barBox.Width + 0.5, $"New reservation ends at {newBox.X + newBox.Width}, past the toolbar's {barBox.X + barBox.Width}");
        var main = await page.Locator(".mud-main-content").BoundingBoxAsync();
        Assert.True(barBox.X + barBox.Width <= main!.X + main.Width + 0.5, "the toolbar reaches past the page");
        // Shorter labels keep their full name for screen readers and on hover.
        Assert.Equal("New reservation", await newButton.GetAttributeAsync("aria-label"));
        Assert.Equal("Book next free slot", await nextFree.GetAttributeAsync("aria-label"));
    }

    [SkippableFact]
    public async Task Calendar_search_dims_others_only_mine_hides_them_in_the_address_too_and_the_strip_extends_ones_next_reservation()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var token = Unique(); // early tomorrow on env-3 and env-4: hours no other calendar test uses
        var me = new Actor("local:ivy calendar", "Ivy Calendar", IsAdmin: false);
        var mine = $"Ivy night {token}";
        var bens = $"Bens night {token}";
        var mineId = await BookAsync(me, "env-3", TomorrowUtc(7), 60, mine);
        await BookAsync(TestActors.Ben, "env-4", TomorrowUtc(7), 60, bens);
        var (context, page) = await OpenCalendarAsync(chromium, me.DisplayName);
        await using var _ = context;
        await page.GetByTestId("circuit-live").WaitForAsync(new() { State = WaitForSelectorState.Attached });

        // The strip: the next reservation, extended by 30 minutes through the booking service.
        var strip = page.GetByTestId("my-next-strip");
        await Assertions.Expect(strip.GetByTestId("my-next-title")).ToHaveTextAsync(mine);
        await Assertions.Expect(strip.GetByTestId("my-next-when")).ToContainTextAsync("07:00–08:00");
        await strip.GetByTestId("my-next-extend").ClickAsync();
        await Assertions.Expect(strip.GetByTestId("my-next-when")).ToContainTextAsync("07:00–08:30");
        await Assertions.Expect(Block(page, "env-3", mine)).ToContainTextAsync("07:00–08:30");
        Assert.Equal(TomorrowUtc(8, 30), (await Queries.ByIdAsync(mineId))!.EndUtc);

        // Search: the other night run stays, dimmed; the count says how many match.
        await page.Locator("input[data-testid=calendar-search], [data-testid=calendar-search] input").First.FillAsync("ivy night " + token);
        await Assertions.Expect(page.GetByTestId("calendar-search-count")).ToHaveTextAsync("1 match");
        await Assertions.Expect(Block(page, "env-4", bens)).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("cal-block-dimmed"));
        await Assertions.Expect(Block(page, "env-3", mine)).ToHaveAttributeAsync("data-match", "true");

        // Only mine: Ben's block leaves the lane, and the address keeps both filters for a reload.
        await page.GetByText("Only mine").ClickAsync();
        await Assertions.Expect(Block(page, "env-4", bens)).ToHaveCountAsync(0);
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("mine=1"));
        await page.ReloadAsync();
        await WaitForCalendarAsync(page);
        await Assertions.Expect(Block(page, "env-4", bens)).ToHaveCountAsync(0);
        await Assertions.Expect(Block(page, "env-3", mine)).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByTestId("calendar-search-count")).ToHaveTextAsync("1 match");

        // Hidden is not free: drawing over Ben's hidden run is still a conflict while dragging.
        await DragAsync(page, "env-4", (6, 30), "env-4", (7, 30), release: false);
        await Assertions.Expect(page.GetByTestId("drag-ghost")).ToHaveAttributeAsync("data-conflict", "true");
        await page.Keyboard.PressAsync("Escape");
        await page.Mouse.UpAsync();
    }

    /// <summary>How many lines a button's text takes (distinct tops of its text's line boxes).</summary>
    private static Task<int> TextLinesAsync(ILocator button) => button.EvaluateAsync<int>(@"el => {
        const tops = new Set();
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            if (!n.textContent.trim() || !n.parentElement.getClientRects().length) continue;
            const range = document.createRange();
            range.selectNodeContents(n);
            for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top));
        }
        return tops.size;
    }");

    private ReservationQueries Queries => app.Services.GetRequiredService<ReservationQueries>();

    internal static string Unique() => Guid.NewGuid().ToString("N")[..6];

    internal static ILocator Block(IPage page, string lane, string title) =>
        page.Locator($"[data-lane='{lane}'] [data-reservation-id]").Filter(new() { HasText = title });

    /// <summary>A context of its own (own cookies) in Berlin time, signed in, on tomorrow's day view, the circuit up and the drag module attached.</summary>
    internal async Task<(IBrowserContext, IPage)> OpenCalendarAsync(Chromium chromium, string user, int width = 1400, int height = 900)
    {
        var context = await chromium.Browser.NewContextAsync(new()
        {
            BaseURL = app.BaseAddress.ToString(),
            TimezoneId = ViewerZone,
            Locale = "en-GB",
            ViewportSize = new() { Width = width, Height = height },
        });
        context.SetDefaultTimeout((float)Timeout.TotalMilliseconds);
        var page = await context.NewPageAsync();
        var day = TomorrowBerlin.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await page.GotoAsync($"/signin?ReturnUrl={Uri.EscapeDataString($"/?day={day}")}");
        await page.GetByTestId("signin-name").FillAsync(user);
        await page.GetByTestId("signin-submit").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/");
        await WaitForCalendarAsync(page);
        return (context, page);
    }

    internal static Task WaitForCalendarAsync(IPage page) =>
        page.Locator("[data-testid=calendar][data-calendar-ready=true]").WaitForAsync();

    /// <summary>Presses at one local time (tomorrow, Berlin) in one lane and releases at another, moving in small steps.</summary>
    internal static async Task DragAsync(IPage page, string fromLane, (int H, int M) from, string toLane, (int H, int M) to, bool release = true)
    {
        await ScrollToAsync(page, TomorrowUtc(from.H, from.M));
        var (x1, y1) = await PointAsync(page, fromLane, TomorrowUtc(from.H, from.M));
        var (x2, y2) = await PointAsync(page, toLane, TomorrowUtc(to.H, to.M));
        await page.Mouse.MoveAsync(x1, y1);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(x1 + 8, y1, new() { Steps = 2 });
        await page.Mouse.MoveAsync(x2, y2, new() { Steps = 12 });
        if (release) await page.Mouse.UpAsync();
    }

    private static async Task ScrollToAsync(IPage page, DateTime utc) =>
        await page.EvaluateAsync(@"ms => {
            const root = document.querySelector('[data-testid=calendar]');
            const x = (ms - Number(root.dataset.viewStart)) / 60000 * Number(root.dataset.pxPerMinute);
            root.querySelector('.cal-scroller').scrollLeft = Math.max(0, x - 120);
        }", Ms(utc));

    private static async Task<(float X, float Y)> PointAsync(IPage page, string lane, DateTime utc)
    {
        var calendar = page.GetByTestId("calendar");
        var viewStart = double.Parse((await calendar.GetAttributeAsync("data-view-start"))!, CultureInfo.InvariantCulture);
        var pxPerMinute = double.Parse((await calendar.GetAttributeAsync("data-px-per-minute"))!, CultureInfo.InvariantCulture);
        var box = await page.Locator($"[data-lane='{lane}']").BoundingBoxAsync() ?? throw new InvalidOperationException($"Lane {lane} is not on screen.");
        return ((float)(box.X + (Ms(utc) - viewStart) / 60000 * pxPerMinute), box.Y + box.Height / 2);
    }

    private static double Ms(DateTime utc) => (utc - DateTime.UnixEpoch).TotalMilliseconds;

    internal async Task<int> BookAsync(Actor who, string lane, DateTime startUtc, int minutes, string title)
    {
        var environment = (await Queries.EnvironmentsAsync()).Single(e => e.Key == lane);
        var result = await app.Services.GetRequiredService<BookingService>().BookAsync(
            new BookingRequest(environment.Id, startUtc, TimeSpan.FromMinutes(minutes), title, TestKind.Soak, "hours=1"), who);
        Assert.True(result.Succeeded, result.Message);
        return result.Reservation!.Id;
    }

    /// <summary>Others' reservations tomorrow, so the screenshot shows a working day (conflicts mean another test seeded them already).</summary>
    private async Task SeedOthersAsync()
    {
        var booking = app.Services.GetRequiredService<BookingService>();
        var environments = await Queries.EnvironmentsAsync();
        var chen = new Actor("local:chen", "Chen", IsAdmin: false);
        (Actor Who, string Lane, int Hour, int Minutes, string Title, TestKind Kind)[] seeds =
        [
            (TestActors.Ben, "env-3", 9, 150, "Cache eviction stress", TestKind.Stress),
            (chen, "env-4", 11, 90, "Network partition chaos", TestKind.Chaos),
            (chen, "env-5", 13, 120, "Search load", TestKind.Load),
            (TestActors.Ben, "env-2", 11, 60, "Payments soak", TestKind.Soak),
        ];
        foreach (var (who, lane, hour, minutes, title, kind) in seeds)
        {
            var id = environments.Single(e => e.Key == lane).Id;
            var result = await booking.BookAsync(new BookingRequest(id, TomorrowUtc(hour), TimeSpan.FromMinutes(minutes), title, kind, ""), who);
            Assert.True(result.Succeeded || result.Outcome == BookingOutcome.Conflict, result.Message);
        }
    }

    private static async Task SaveScreenshotAsync(IPage page)
    {
        await ScrollToAsync(page, TomorrowUtc(9));
        var local = Path.Combine(AppContext.BaseDirectory, "screenshots", "calendar.png");
        await page.ScreenshotAsync(new() { Path = local });
        if (Environment.GetEnvironmentVariable(UpdateScreenshotVariable) == "1")
        {
            var committed = Path.Combine(RepositoryRoot.Find(), ".github", "screenshots", "calendar.png");
            Directory.CreateDirectory(Path.GetDirectoryName(committed)!);
            File.Copy(local, committed, overwrite: true);
        }
    }
}
