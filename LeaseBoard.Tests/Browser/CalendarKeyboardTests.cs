using System.Globalization;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.Browser;

/// <summary>
/// Issue 20: the calendar with the keyboard alone (Tab, Enter, typing), on the shared app: book in a lane, move, extend and
/// cancel the reservation, and at every Tab stop on the way the focused control shows a focus ring. Works on tomorrow's env-5
/// from its first free hour, which no other calendar test books.
/// </summary>
[Collection(SharedAppCollection.Name)]
public sealed class CalendarKeyboardTests(SharedAppFixture app)
{
    private const int MaxTabs = 200;

    [SkippableFact]
    public async Task Calendar_the_keyboard_alone_books_moves_extends_and_cancels_a_reservation_and_the_focus_is_always_visible()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var calendar = new CalendarFlowTests(app);
        var (context, page) = await calendar.OpenCalendarAsync(chromium, "Kit Keyboard");
        await using var _ = context;
        await page.GetByTestId("circuit-live").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        var title = "Keyboard soak " + CalendarFlowTests.Unique();
        var stops = new List<string>();

        // Book: env-5's own Book button opens the booking dialog on that lane's first free hour of the day in view.
        await TabToAsync(page, page.Locator("[data-testid=lane-header][data-env=env-5] [data-testid=lane-book]"), stops);
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", "calendar-keyboard-focus.png") });
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.GetByTestId("reservation-dialog");
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("booking-environment")).ToContainTextAsync("Env 5");
        await Assertions.Expect(page.GetByTestId("booking-start")).ToHaveAttributeAsync("data-value", new System.Text.RegularExpressions.Regex(
            "^" + CalendarFlowTests.TomorrowBerlin.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T"));
        await TabToAsync(page, page.GetByTestId("booking-title"), stops);
        await page.Keyboard.TypeAsync(title);
        await TabToAsync(page, page.GetByTestId("booking-submit"), stops);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(dialog).ToBeHiddenAsync();
        var block = CalendarFlowTests.Block(page, "env-5", title);
        await Assertions.Expect(block).ToHaveCountAsync(1);
        var booked = await StoredAsync(title);
        Assert.Equal(("env-5", TimeSpan.FromHours(1)), (booked.EnvironmentKey, booked.EndUtc - booked.StartUtc));

        // Move 30 minutes later: Enter on the block opens its details; the move form takes a typed time.
        var later = booked.StartUtc.AddMinutes(30);
        await OpenDetailsAsync(page, block, stops);
        await TabToAsync(page, page.GetByTestId("move-start-time").Locator("input"), stops);
        await page.Keyboard.PressAsync("ControlOrMeta+a");
        await page.Keyboard.TypeAsync(TimeZoneInfo.ConvertTimeFromUtc(later, TimeZoneInfo.FindSystemTimeZoneById(CalendarFlowTests.ViewerZone)).ToString("HH:mm", CultureInfo.InvariantCulture));
        await TabToAsync(page, page.GetByTestId("move-submit"), stops);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByTestId("reservation-details")).ToBeHiddenAsync();
        await Assertions.Expect(page.GetByTestId("calendar-status")).ToContainTextAsync($"Moved {title} to Env 5");
        Assert.Equal((later, later.AddHours(1)), await TimesAsync(booked.Id));

        // Extend by 30 minutes.
        await OpenDetailsAsync(page, block, stops);
        await TabToAsync(page, page.GetByTestId("details-extend-30"), stops);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByTestId("reservation-details")).ToBeHiddenAsync();
        await Assertions.Expect(page.GetByTestId("calendar-status")).ToContainTextAsync($"Extended {title} by 30 minutes");
        Assert.Equal((later, later.AddMinutes(90)), await TimesAsync(booked.Id));

        // Cancel, confirmed in the message box.
        await OpenDetailsAsync(page, block, stops);
        await TabToAsync(page, page.GetByTestId("details-cancel"), stops);
        await page.Keyboard.PressAsync("Enter");
        var confirm = page.Locator(".mud-dialog").Filter(new() { HasText = "Cancel reservation?" }).GetByRole(AriaRole.Button, new() { Name = "Cancel reservation" });
        await Assertions.Expect(confirm).ToBeVisibleAsync();
        await TabToAsync(page, confirm, stops);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByTestId("calendar-status")).ToContainTextAsync($"Cancelled {title}");
        await Assertions.Expect(block).ToHaveCountAsync(0);
        Assert.Equal(ReservationState.Cancelled, (await Queries.ByIdAsync(booked.Id))!.State);
        Assert.True(stops.Count > 10, $"only {stops.Count} Tab stops were checked");
    }

    private static async Task OpenDetailsAsync(IPage page, ILocator block, List<string> stops)
    {
        await TabToAsync(page, block, stops);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByTestId("reservation-details")).ToBeVisibleAsync();
    }

    /// <summary>
    /// Presses Tab until <paramref name="target"/> has the focus, and at every stop on the way checks that the focused element
    /// matches :focus-visible and draws an outline or a box shadow (a ring a sighted keyboard user sees).
    /// </summary>
    private static async Task TabToAsync(IPage page, ILocator target, List<string> stops)
    {
        await Assertions.Expect(target).ToBeVisibleAsync();
        for (var presses = 0; !await target.EvaluateAsync<bool>("el => el === document.activeElement"); presses++)
        {
            Assert.True(presses < MaxTabs, $"{MaxTabs} presses of Tab never reached {target}; the last stops: {string.Join(" | ", stops.TakeLast(5))}");
            await page.Keyboard.PressAsync("Tab");
            var focus = await page.EvaluateAsync<FocusLook>("""
                () => {
                  const e = document.activeElement;
                  const s = getComputedStyle(e);
                  const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || (s.boxShadow && s.boxShadow !== 'none');
                  const name = e.getAttribute('aria-label') || e.getAttribute('data-testid') || (e.innerText || e.value || '').trim().slice(0, 40);
                  return { element: `${e.tagName.toLowerCase()}.${(e.getAttribute('class') || '').split(' ').slice(0, 3).join('.')} "${name}"`,
                           visible: e !== document.body && e.matches(':focus-visible') && !!ring,
                           style: `outline ${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}; box-shadow ${s.boxShadow}` };
                }
                """);
            stops.Add(focus.Element);
            Assert.True(focus.Visible, $"Tab stop {stops.Count}, {focus.Element}, shows no focus ring ({focus.Style})");
        }
    }

    private ReservationQueries Queries => app.Services.GetRequiredService<ReservationQueries>();

    private async Task<ReservationRow> StoredAsync(string title) =>
        (await Queries.BetweenAsync(CalendarFlowTests.TomorrowUtc(0), CalendarFlowTests.TomorrowUtc(24))).Single(r => r.Title == title);

    private async Task<(DateTime, DateTime)> TimesAsync(int id) => (await Queries.ByIdAsync(id)) is { } r ? (r.StartUtc, r.EndUtc) : default;

    // Playwright fills evaluate results through a parameterless constructor and setters.
    private sealed class FocusLook
    {
        public string Element { get; set; } = "";
        public bool Visible { get; set; }
        public string Style { get; set; } = "";
    }
}
