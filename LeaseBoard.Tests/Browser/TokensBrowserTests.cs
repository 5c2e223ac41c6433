using LeaseBoard.Tests.TestSupport;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.Browser;

/// <summary>The API tokens page in headless Chromium, with the clipboard granted to the page.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class TokensBrowserTests(SharedAppFixture app)
{
    [SkippableFact]
    public async Task The_copy_button_puts_the_new_secret_on_the_clipboard()
    {
        await using var chromium = await Chromium.LaunchAsync();
        await using var context = await chromium.Browser.NewContextAsync(new()
        {
            BaseURL = app.BaseAddress.ToString(),
            Permissions = ["clipboard-read", "clipboard-write"],
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/signin?ReturnUrl=%2Ftokens");
        await page.GetByTestId("signin-name").FillAsync("Tess Tokens");
        await page.GetByTestId("signin-submit").ClickAsync();
        await page.WaitForURLAsync("**/tokens");
        await page.GetByTestId("circuit-live").WaitForAsync(new() { State = WaitForSelectorState.Attached });

        await page.GetByTestId("token-name").FillAsync("clipboard pipeline");
        await page.GetByTestId("token-create").ClickAsync();
        var secret = await page.GetByTestId("token-secret").TextContentAsync();
        await page.GetByTestId("token-copy").ClickAsync();

        await Assertions.Expect(page.GetByTestId("token-copy")).ToHaveTextAsync("Copied");
        Assert.StartsWith("lb_", secret);
        Assert.Equal(secret, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
    }
}
