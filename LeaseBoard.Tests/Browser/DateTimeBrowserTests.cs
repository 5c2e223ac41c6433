using System.Globalization;
using System.Text.RegularExpressions;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.Browser;

/// <summary>Times in an en-US Chromium (browser language and page locale): 24-hour like the rest of LeaseBoard, never AM/PM.</summary>
[Collection(SharedAppCollection.Name)]
public sealed partial class DateTimeBrowserTests(SharedAppFixture app)
{
    private const string ViewerZone = "America/New_York";

    [SkippableFact]
    public async Task An_en_US_browser_types_and_reads_the_booking_start_in_24_hour_time_with_no_AM_or_PM_anywhere()
    {
        await using var chromium = await Chromium.LaunchAsync("--lang=en-US");
        await using var context = await chromium.Browser.NewContextAsync(new()
        {
            BaseURL = app.BaseAddress.ToString(),
            Locale = "en-US",
            TimezoneId = ViewerZone,
            ViewportSize = new() { Width = 1280, Height = 1000 },
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/signin?ReturnUrl=%2Fbook");
        await page.GetByTestId("signin-name").FillAsync("Uma US");
        await page.GetByTestId("signin-submit").ClickAsync();
        await page.WaitForURLAsync("**/book");
        await page.GetByTestId("booking-form").WaitForAsync();
        Assert.Equal("en-US", await page.EvaluateAsync<string>("() => navigator.language"));

        // A weekday a week ahead, so the slot is free of other tests' bookings (they book tomorrow).
        var day = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById(ViewerZone)).Date.AddDays(8);
        await DateTimeFields.TypeAsync(page, "booking-start", day.ToString("yyyy-MM-dd'T'14:00", CultureInfo.InvariantCulture));

        var time = page.GetByTestId("booking-start-time").Locator("input");
        await Assertions.Expect(time).ToHaveValueAsync("14:00");
        await Assertions.Expect(page.GetByTestId("booking-start")).ToHaveAttributeAsync("data-value", day.ToString("yyyy-MM-dd'T'14:00", CultureInfo.InvariantCulture));
        Assert.DoesNotMatch(AmPm(), await FieldTextsAsync(page));

        // The picker's clock counts 0-23 and has no AM/PM switch.
        await page.GetByTestId("booking-start-time").Locator("button").ClickAsync();
        var clock = page.Locator(".mud-picker-time-container, .mud-picker-content").Last;
        await Assertions.Expect(clock).ToBeVisibleAsync();
        Assert.DoesNotMatch(AmPm(), await clock.InnerTextAsync());
        await Assertions.Expect(clock).ToContainTextAsync("23");
        await page.Keyboard.PressAsync("Escape");

        await page.GetByTestId("booking-title").FillAsync("US load " + Guid.NewGuid().ToString("N")[..6]);
        await page.GetByTestId("booking-submit").ClickAsync();
        var result = page.GetByTestId("booking-result");
        await Assertions.Expect(result).ToHaveAttributeAsync("data-outcome", "booked");
        await Assertions.Expect(result).ToContainTextAsync("14:00–15:00");
        Assert.DoesNotMatch(AmPm(), await page.InnerTextAsync("body"));
    }

    /// <summary>What the form's inputs show: their values (a native date-time input's text is not in the DOM, its value is).</summary>
    private static Task<string> FieldTextsAsync(IPage page) =>
        page.EvaluateAsync<string>("() => [...document.querySelectorAll('[data-testid=booking-form] input')].map(i => i.value).join(' | ') + ' ' + document.querySelector('[data-testid=booking-form]').innerText");

    [GeneratedRegex(@"\b(AM|PM)\b")]
    private static partial Regex AmPm();
}
