using Microsoft.Playwright;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// Debian's Chromium driven by Playwright. Playwright cannot download its own browser here, so it is
/// always launched from <see cref="ExecutablePath"/>.
/// </summary>
public sealed class Chromium : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly string[] Args =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private Chromium(IPlaywright playwright, IBrowser browser)
    {
        Playwright = playwright;
        Browser = browser;
    }

    public IPlaywright Playwright { get; }
    public IBrowser Browser { get; }

    /// <summary>
    /// Launches headless Chromium. Without it the calling test is skipped with a loud reason, except
    /// under CI (<c>CI=true</c>), where a browser test that cannot run is a failure.
    /// </summary>
    public static async Task<Chromium> LaunchAsync(params string[] extraArgs)
    {
        if (!File.Exists(ExecutablePath))
        {
            var reason = $"BROWSER TEST NOT RUN: {ExecutablePath} is missing. Install it with `apt-get install -y chromium` (.ci/run does this).";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                Assert.Fail(reason + " CI=true, so this is a failure, not a skip.");
            Skip.If(true, reason);
        }
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ExecutablePath, Headless = true, Args = [.. Args, .. extraArgs] });
            return new Chromium(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
    }

    /// <summary>Signs the context in through the local sign-in page (as an admin when asked), so its pages open signed in.</summary>
    public static async Task SignInAsync(IBrowserContext context, string name, bool admin)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync("/signin");
        await page.GetByTestId("signin-name").FillAsync(name);
        if (admin) await page.GetByTestId("signin-admin").CheckAsync();
        await page.GetByTestId("signin-submit").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/");
        await page.CloseAsync();
    }
}
