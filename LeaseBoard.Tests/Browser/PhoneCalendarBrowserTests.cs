using System.Globalization;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using Microsoft.Extensions.DependencyInjection;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.Browser;

/// <summary>The calendar on a phone (390×844, an iPhone 14's CSS viewport), signed in on the shared app.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class PhoneCalendarBrowserTests(SharedAppFixture app)
{
    [SkippableFact]
    public async Task On_a_phone_the_lane_header_is_at_most_30_percent_of_the_calendar_and_shows_the_name_in_full_with_state_and_health_icons()
    {
        await using var chromium = await Chromium.LaunchAsync();
        // Something to see in the screenshot: env-5 is free early tomorrow (CalendarFlowTests use it from 10:00).
        var env5 = (await app.Services.GetRequiredService<ReservationQueries>().EnvironmentsAsync()).Single(e => e.Key == "env-5");
        var booked = await app.Services.GetRequiredService<BookingService>().BookAsync(new BookingRequest(env5.Id, CalendarFlowTests.TomorrowUtc(6, 30),
            TimeSpan.FromMinutes(90), "Early soak", TestKind.Soak, "hours=1"), TestActors.Ben);
        Assert.True(booked.Succeeded, booked.Message);
        await using var context = await chromium.Browser.NewContextAsync(new()
        {
            BaseURL = app.BaseAddress.ToString(),
            TimezoneId = CalendarFlowTests.ViewerZone,
            Locale = "en-GB",
            ViewportSize = new() { Width = 390, Height = 844 },
            IsMobile = true,
            HasTouch = true,
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        var day = CalendarFlowTests.TomorrowBerlin.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await page.GotoAsync($"/signin?ReturnUrl={Uri.EscapeDataString($"/?day={day}")}");
        await page.GetByTestId("signin-name").FillAsync("Pia Phone");
        await page.GetByTestId("signin-submit").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/");
        await page.GetByTestId("circuit-live").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await CalendarFlowTests.WaitForCalendarAsync(page);

        var sizes = await page.EvaluateAsync<double[]>("""
            () => {
              const head = document.querySelector('[data-testid=lane-header][data-env=env-1]');
              const name = head.querySelector('.cal-lane-name');
              const calendar = document.querySelector('[data-testid=calendar] .cal-scroller');
              return [head.getBoundingClientRect().width, calendar.clientWidth, name.scrollWidth - name.clientWidth,
                      document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth];
            }
            """);
        Assert.True(sizes[0] <= 0.30 * sizes[1], $"the lane header takes {sizes[0]} of {sizes[1]} px");
        Assert.Equal(0, sizes[2]); // "Env 1", not "E…"
        Assert.Equal(0, sizes[3]); // the page itself does not scroll sideways; the calendar does
        var header = page.Locator("[data-testid=lane-header][data-env=env-1]");
        await Assertions.Expect(header.GetByTestId("env-state-icon")).ToBeVisibleAsync();
        await Assertions.Expect(header.GetByTestId("env-health-icon")).ToBeVisibleAsync();
        await Assertions.Expect(header.GetByTestId("env-state")).ToBeHiddenAsync();

        await Screenshots.SaveAsync(page, "calendar-phone.png");
    }
}

/// <summary>Saves a screenshot next to the tests; with LEASEBOARD_UPDATE_SCREENSHOT=1 also into .github/screenshots for the README.</summary>
internal static class Screenshots
{
    public static async Task SaveAsync(IPage page, string name)
    {
        var local = Path.Combine(AppContext.BaseDirectory, "screenshots", name);
        await page.ScreenshotAsync(new() { Path = local });
        if (Environment.GetEnvironmentVariable("LEASEBOARD_UPDATE_SCREENSHOT") == "1")
        {
            var committed = Path.Combine(RepositoryRoot.Find(), ".github", "screenshots", name);
            Directory.CreateDirectory(Path.GetDirectoryName(committed)!);
            File.Copy(local, committed, overwrite: true);
        }
    }
}
