using LeaseBoard.Tests.TestSupport;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.Browser;

/// <summary>The light/dark choice in headless Chromium: remembered across reloads, and already right in the prerendered page.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class ThemeBrowserTests(SharedAppFixture app)
{
    [SkippableFact]
    public async Task Dark_mode_chosen_once_is_still_on_after_a_reload_and_the_prerendered_page_is_already_dark()
    {
        await using var chromium = await Chromium.LaunchAsync();
        await using var context = await chromium.Browser.NewContextAsync(new() { BaseURL = app.BaseAddress.ToString() });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/signin?ReturnUrl=%2Fbook");
        await page.GetByTestId("signin-name").FillAsync("Dana Dark");
        await page.GetByTestId("signin-submit").ClickAsync();
        await page.WaitForURLAsync("**/book");
        var live = page.GetByTestId("circuit-live"); // the interactive render has taken over
        await live.WaitForAsync(new() { State = WaitForSelectorState.Attached });
        var light = await BackgroundAsync(page);

        await page.GetByTestId("theme-toggle").ClickAsync();
        await Assertions.Expect(page.Locator("body")).Not.ToHaveCSSAsync("background-color", light);
        var dark = await BackgroundAsync(page);

        await page.ReloadAsync();
        await live.WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.Locator("body")).ToHaveCSSAsync("background-color", dark);
        await Assertions.Expect(page.GetByTestId("layout")).ToHaveAttributeAsync("data-theme", "dark");

        // The first paint, before any script runs: the same cookies in a browser without JavaScript see the server's page dark.
        await using var noScript = await chromium.Browser.NewContextAsync(new() { BaseURL = app.BaseAddress.ToString(), JavaScriptEnabled = false });
        await noScript.AddCookiesAsync((await context.CookiesAsync()).Select(c => new Cookie
        {
            Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path, HttpOnly = c.HttpOnly, Secure = c.Secure, SameSite = c.SameSite,
        }));
        var prerendered = await noScript.NewPageAsync();
        await prerendered.GotoAsync("/book");
        await Assertions.Expect(prerendered.GetByTestId("layout")).ToHaveAttributeAsync("data-theme", "dark");
        Assert.Equal(dark, await BackgroundAsync(prerendered));
    }

    private static Task<string> BackgroundAsync(IPage page) =>
        page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
}
