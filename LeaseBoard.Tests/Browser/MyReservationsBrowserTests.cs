using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.Browser;

/// <summary>My reservations and the admins-only page, opened in real Chromium as a person would, with the README's screenshots.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class MyReservationsBrowserTests(SharedAppFixture app)
{
    private static readonly Actor Mara = new("local:mara mine", "Mara Mine", IsAdmin: false);

    [SkippableFact]
    public async Task My_reservations_lists_mine_only_gives_a_feed_url_and_cancels_after_confirmation()
    {
        var first = await BookFreeAsync("Nightly soak", hour: 7);
        var second = await BookFreeAsync("Chaos drill", hour: 13);
        await using var chromium = await Chromium.LaunchAsync();
        var page = await SignedInPageAsync(chromium, "Mara Mine", "/reservations/mine");

        var rows = page.GetByTestId("reservation-row");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await Assertions.Expect(rows.Nth(0)).ToHaveTextAsync("Nightly soak");
        await Assertions.Expect(rows.Nth(1)).ToHaveTextAsync("Chaos drill");
        await Assertions.Expect(page.Locator("th").First).ToContainTextAsync("Europe/Berlin");

        await Screenshots.SaveAsync(page, "my-reservations.png"); // before Subscribe, so no feed secret is in the README

        await page.GetByTestId("feed-subscribe").ClickAsync();
        await Assertions.Expect(page.GetByTestId("feed-url")).ToContainTextAsync("/feeds/mine.ics?token=lb_");

        await page.Locator($"[data-testid=reservation-cancel][data-reservation-id='{second}']").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel reservation" }).ClickAsync();
        await Assertions.Expect(rows.Filter(new() { HasText = "Chaos drill" })).ToHaveAttributeAsync("data-state", nameof(ReservationState.Cancelled));
        await Assertions.Expect(rows.Filter(new() { HasText = "Nightly soak" })).ToHaveAttributeAsync("data-state", nameof(ReservationState.Scheduled));
        Assert.NotEqual(first, second);
    }

    [SkippableFact]
    public async Task A_user_opening_admin_is_told_the_page_is_for_admins_and_finds_the_way_back()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var page = await SignedInPageAsync(chromium, "Nora Normal", "/admin");

        Assert.Equal("/denied", new Uri(page.Url).AbsolutePath);
        await Assertions.Expect(page.GetByTestId("admins-only")).ToContainTextAsync("This page is for admins");
        await Assertions.Expect(page.GetByTestId("admins-only-who")).ToContainTextAsync("Nora Normal");
        await Screenshots.SaveAsync(page, "admins-only.png");

        await page.GetByTestId("back-to-calendar").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/");
        await CalendarFlowTests.WaitForCalendarAsync(page);
    }

    private async Task<IPage> SignedInPageAsync(Chromium chromium, string name, string path)
    {
        var context = await chromium.Browser.NewContextAsync(new()
        {
            BaseURL = app.BaseAddress.ToString(),
            TimezoneId = CalendarFlowTests.ViewerZone,
            Locale = "en-GB",
            ViewportSize = new() { Width = 1280, Height = 720 },
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/signin?ReturnUrl={Uri.EscapeDataString(path)}");
        await page.GetByTestId("signin-name").FillAsync(name);
        await page.GetByTestId("signin-submit").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath != "/signin");
        await page.GetByTestId("circuit-live").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    /// <summary>Books for Mara four days out on the first environment free then (the shared app's other tests use tomorrow).</summary>
    private async Task<int> BookFreeAsync(string title, int hour)
    {
        var booking = app.Services.GetRequiredService<BookingService>();
        var start = CalendarFlowTests.TomorrowUtc(hour).AddDays(3);
        foreach (var environment in await app.Services.GetRequiredService<ReservationQueries>().EnvironmentsAsync())
        {
            var result = await booking.BookAsync(new BookingRequest(environment.Id, start, TimeSpan.FromHours(2), title, TestKind.Soak, "hours=2"), Mara);
            if (result.Succeeded) return result.Reservation!.Id;
        }
        throw new InvalidOperationException($"no environment is free at {start:u} for \"{title}\"");
    }
}
