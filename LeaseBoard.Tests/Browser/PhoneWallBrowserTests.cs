using LeaseBoard.Tests.Features.LiveUpdates;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.Browser;

/// <summary>The wall on a phone: a list, one row per environment, on a kiosk host of its own.</summary>
public sealed class PhoneWallBrowserTests(KioskHostFixture host) : IClassFixture<KioskHostFixture>
{
    [SkippableFact]
    public async Task On_a_phone_the_wall_is_a_list_with_each_state_word_in_full_and_the_tv_grid_returns_at_1024_px()
    {
        await using var chromium = await Chromium.LaunchAsync();
        await BoardScenario.StartLeaseNowAsync(host.Services, "env-1", "Checkout soak", TimeSpan.FromHours(2), TestActors.Ana);
        await BoardScenario.QuarantineAsync(host.Services, "env-4", "Switch port flapping");
        await using var context = await chromium.Browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = 390, Height = 844 },
            IsMobile = true,
            TimezoneId = "Europe/Berlin",
            Locale = "en-GB",
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(host.BaseAddress, $"/wall?key={KioskHostFixture.KioskKey}").ToString());
        await Assertions.Expect(page.GetByTestId("wall-banner")).ToHaveAttributeAsync("data-live", "true");
        await Assertions.Expect(page.GetByTestId("wall-tile")).ToHaveCountAsync(5);
        await Assertions.Expect(page.Locator("[data-testid=wall-tile][data-env=env-1]")).ToHaveAttributeAsync("data-state", "Leased");

        var rows = await page.EvaluateAsync<RowMeasure[]>("""
            () => [...document.querySelectorAll('[data-testid=wall-tile]')].map(tile => {
              const state = tile.querySelector('[data-testid=wall-state]');
              const name = tile.querySelector('.tile-name');
              const r = tile.getBoundingClientRect();
              return { env: tile.dataset.env, state: state.textContent.trim(), stateCut: state.scrollWidth - state.clientWidth,
                       stateWidth: state.clientWidth, nameCut: name.scrollWidth - name.clientWidth, left: r.left, right: r.right, height: r.height };
            })
            """);
        Assert.All(rows, row =>
        {
            Assert.True(row.StateWidth > 0, $"{row.Env}: the state word is hidden");
            Assert.True(row.StateCut <= 0, $"{row.Env}: '{row.State}' is cut by {row.StateCut} px");
            Assert.True(row.NameCut <= 0, $"{row.Env}: the name is cut by {row.NameCut} px");
            Assert.True(row.Left >= 0 && row.Right <= 390, $"{row.Env}: the row runs off the screen ({row.Left}–{row.Right})");
            Assert.True(row.Height < 120, $"{row.Env}: a row of {row.Height} px is a tile, not a list row");
        });
        Assert.Equal(["Leased", "Available", "Available", "Quarantined", "Available"], rows.Select(r => r.State).ToList());
        var leased = page.Locator("[data-testid=wall-tile][data-env=env-1]");
        await Assertions.Expect(leased.GetByTestId("wall-lease-owner")).ToBeVisibleAsync();
        await Assertions.Expect(leased.GetByTestId("wall-lease-owner")).ToContainTextAsync("Ana");
        await Assertions.Expect(leased.GetByTestId("wall-remaining")).ToBeVisibleAsync();
        await Assertions.Expect(leased.GetByTestId("wall-remaining")).ToContainTextAsync("left");
        Assert.Equal(0, await page.EvaluateAsync<double>("() => document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"));

        await Screenshots.SaveAsync(page, "wall-phone.png");

        await page.SetViewportSizeAsync(1024, 768);
        await Assertions.Expect(page.GetByTestId("wall-grid")).ToHaveCSSAsync("display", "grid");
    }

    // Playwright fills evaluate results through a parameterless constructor and setters.
    private sealed class RowMeasure
    {
        public string Env { get; set; } = "";
        public string State { get; set; } = "";
        public double StateCut { get; set; }
        public double StateWidth { get; set; }
        public double NameCut { get; set; }
        public double Left { get; set; }
        public double Right { get; set; }
        public double Height { get; set; }
    }
}
