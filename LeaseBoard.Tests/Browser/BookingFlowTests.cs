using System.Globalization;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.Browser;

/// <summary>The app on a real loopback port, used through headless Chromium as a person would.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class BookingFlowTests(SharedAppFixture app)
{
    /// <summary>Set to 1 to refresh the README's screenshot in the repository; otherwise it goes next to the test binaries.</summary>
    private const string UpdateScreenshotVariable = "LEASEBOARD_UPDATE_SCREENSHOT";

    private const string ViewerZone = "Europe/Berlin";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [SkippableFact]
    public async Task A_user_signs_in_books_tomorrow_at_two_through_the_form_sees_it_in_the_upcoming_list_and_signs_out()
    {
        await using var chromium = await Chromium.LaunchAsync();
        await SeedOthersReservationsAsync();
        await using var context = await chromium.Browser.NewContextAsync(new()
        {
            BaseURL = app.BaseAddress.ToString(),
            TimezoneId = ViewerZone,
            Locale = "en-GB",
            ViewportSize = new() { Width = 1280, Height = 1000 },
        });
        context.SetDefaultTimeout((float)Timeout.TotalMilliseconds);
        var page = await context.NewPageAsync();

        await page.GotoAsync("/book");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/signin\\?ReturnUrl=%2Fbook$"));
        await page.GetByTestId("signin-name").FillAsync("Ana Browser");
        await page.GetByTestId("signin-submit").ClickAsync();
        await page.WaitForURLAsync("**/book");

        // The form appears only once the circuit is up and has read the browser's time zone:
        // clicking the prerendered page before that would do nothing.
        await page.GetByTestId("booking-form").WaitForAsync();
        var tomorrow = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById(ViewerZone)).Date.AddDays(1);
        var title = "Browser checkout load " + Guid.NewGuid().ToString("N")[..6];
        await DateTimeFields.TypeAsync(page, "booking-start", tomorrow.ToString("yyyy-MM-dd'T'14:00", CultureInfo.InvariantCulture));
        await page.GetByTestId("booking-duration").FillAsync("90");
        await page.GetByTestId("booking-duration").PressAsync("Tab");
        await page.GetByTestId("booking-title").FillAsync(title);
        await page.GetByTestId("booking-title").PressAsync("Tab");
        await page.GetByTestId("booking-submit").ClickAsync();

        var result = page.GetByTestId("booking-result");
        await Assertions.Expect(result).ToHaveAttributeAsync("data-outcome", "booked");
        var when = tomorrow.ToString("ddd d MMM", CultureInfo.InvariantCulture) + " 14:00–15:30";
        await Assertions.Expect(result).ToContainTextAsync($"Booked '{title}' on Env 1, {when}.");
        var row = page.GetByTestId("reservation-row").Filter(new() { HasText = title });
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row).ToContainTextAsync(when);
        await Assertions.Expect(row).ToContainTextAsync("Ana Browser");
        await Assertions.Expect(page.GetByTestId("user-name")).ToHaveTextAsync("Ana Browser");

        await SaveScreenshotAsync(page);

        await page.GetByTestId("user-menu").Locator("button").ClickAsync();
        await page.GetByTestId("signout").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/signin");
    }

    /// <summary>A few reservations of other people, so the page looks like a day at work.</summary>
    private async Task SeedOthersReservationsAsync()
    {
        var booking = app.Services.GetRequiredService<BookingService>();
        var queries = app.Services.GetRequiredService<ReservationQueries>();
        var environments = await queries.EnvironmentsAsync();
        var tomorrowUtc = DateTime.SpecifyKind(DateTime.UtcNow.Date.AddDays(1), DateTimeKind.Utc);
        // People of their own: the calendar tests seed a Ben and a Chen in the same app, and one person's
        // overlapping seeds from two tests would pass the concurrent share.
        var ben = new Actor("local:booking-flow-ben", "Ben", IsAdmin: false);
        var chen = new Actor("local:booking-flow-chen", "Chen", IsAdmin: false);
        (Actor Who, int Env, DateTime Start, int Minutes, string Title, TestKind Kind)[] seeds =
        [
            (ben, 2, tomorrowUtc.AddHours(8), 180, "Payments soak", TestKind.Soak),
            (chen, 3, tomorrowUtc.AddHours(9), 120, "Cache eviction stress", TestKind.Stress),
            (ben, 4, tomorrowUtc.AddHours(12), 60, "Network partition chaos", TestKind.Chaos),
            (chen, 2, tomorrowUtc.AddDays(1).AddHours(7), 90, "Search load", TestKind.Load),
        ];
        foreach (var (who, env, start, minutes, title, kind) in seeds)
        {
            var result = await booking.BookAsync(new BookingRequest(environments[env - 1].Id, start, TimeSpan.FromMinutes(minutes), title, kind, ""), who);
            Assert.True(result.Succeeded || result.Outcome == BookingOutcome.Conflict, result.Message); // a conflict: seeded by an earlier test
        }
    }

    private static async Task SaveScreenshotAsync(IPage page)
    {
        await page.GetByTestId("upcoming-environment").First.ScrollIntoViewIfNeededAsync();
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        var local = Path.Combine(AppContext.BaseDirectory, "screenshots", "booking.png");
        await page.ScreenshotAsync(new() { Path = local, FullPage = true });
        if (Environment.GetEnvironmentVariable(UpdateScreenshotVariable) == "1")
        {
            var committed = Path.Combine(RepositoryRoot.Find(), ".github", "screenshots", "booking.png");
            Directory.CreateDirectory(Path.GetDirectoryName(committed)!);
            File.Copy(local, committed, overwrite: true);
        }
    }
}
