using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Tests.Features.LiveUpdates;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.Browser;

/// <summary>The wall in headless Chromium at TV size, opened with the kiosk key on a host of its own.</summary>
public sealed class WallBrowserTests(KioskHostFixture host) : IClassFixture<KioskHostFixture>
{
    private const string UpdateScreenshotVariable = "LEASEBOARD_UPDATE_SCREENSHOT";

    [SkippableFact]
    public async Task The_wall_fills_a_TV_screen_and_changes_a_tile_within_two_seconds_of_a_quarantine_made_elsewhere_without_a_reload()
    {
        await using var chromium = await Chromium.LaunchAsync();
        await SeedBoardAsync();
        await using var context = await chromium.Browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = 1920, Height = 1080 },
            TimezoneId = "Europe/Berlin",
            Locale = "en-GB",
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(host.BaseAddress, $"/wall?key={KioskHostFixture.KioskKey}").ToString());
        await Assertions.Expect(page.GetByTestId("wall-banner")).ToHaveAttributeAsync("data-live", "true");
        await Assertions.Expect(page.GetByTestId("wall-tile")).ToHaveCountAsync(5);
        await Assertions.Expect(page.GetByTestId("wall-summary")).ToHaveTextAsync("4 free · 1 running · Env 3 degraded · Env 5 unhealthy");

        // Fits without scrolling, and no text on a tile is smaller than tvOS's 23 px minimum.
        var fit = await page.EvaluateAsync<int[]>("""
            () => {
              const doc = document.scrollingElement;
              const tiles = [...document.querySelectorAll('[data-testid=wall-tile]')].map(t => t.getBoundingClientRect());
              const outside = tiles.filter(r => r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5).length;
              const texts = [...document.querySelectorAll('[data-testid=wall-tile] *')].filter(e => e.offsetParent !== null && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()));
              const smallest = Math.min(...texts.map(e => parseFloat(getComputedStyle(e).fontSize)));
              return [doc.scrollHeight - doc.clientHeight, doc.scrollWidth - doc.clientWidth, outside, Math.floor(smallest)];
            }
            """);
        Assert.Equal(0, fit[0]);
        Assert.Equal(0, fit[1]);
        Assert.Equal(0, fit[2]);
        Assert.True(fit[3] >= 23, $"the smallest tile text is {fit[3]} px");

        await page.EvaluateAsync("() => window.wallMarker = 'still the same page'");
        var tile = page.Locator("[data-testid=wall-tile][data-env=env-4]");
        await Assertions.Expect(tile).ToHaveAttributeAsync("data-state", "Available");

        await BoardScenario.QuarantineAsync(host.Services, "env-4", "Switch port flapping");

        await Assertions.Expect(tile).ToHaveAttributeAsync("data-state", "Quarantined", new() { Timeout = 2_000 });
        await Assertions.Expect(tile.GetByTestId("wall-quarantine-reason")).ToHaveTextAsync("Switch port flapping");
        Assert.Equal("still the same page", await page.EvaluateAsync<string>("() => window.wallMarker"));
        await Assertions.Expect(page.GetByTestId("wall-summary")).ToContainTextAsync("1 quarantined");

        await SaveScreenshotAsync(page);

        // Blazor announces a dropped connection to the reconnect element; on the wall that is a banner, never a dialog.
        await page.EvaluateAsync("() => document.getElementById('components-reconnect-modal').dispatchEvent(new CustomEvent('components-reconnect-state-changed', { detail: { state: 'show' } }))");
        await Assertions.Expect(page.GetByTestId("wall-reconnect")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("wall-reconnect")).ToContainTextAsync("reconnecting");
        Assert.False(await page.EvaluateAsync<bool>("() => document.getElementById('components-reconnect-modal').open"));
        await page.EvaluateAsync("() => document.getElementById('components-reconnect-modal').dispatchEvent(new CustomEvent('components-reconnect-state-changed', { detail: { state: 'hide' } }))");
        await Assertions.Expect(page.GetByTestId("wall-reconnect")).ToBeHiddenAsync();
    }

    /// <summary>A board worth looking at: a run well under way, a slot coming up, a sick environment, an hour of probes.</summary>
    private async Task SeedBoardAsync()
    {
        var services = host.Services;
        var dbs = services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;

        var reservationId = await BoardScenario.StartLeaseNowAsync(services, "env-1", "Checkout soak, 2 h", TimeSpan.FromHours(2), TestActors.Ana);
        await BoardScenario.ScheduleNowAsync(services, "env-2", "Nightly chaos", TimeSpan.FromMinutes(30), TestActors.Ben);
        await using var db = await dbs.CreateDbContextAsync();
        // The slot above starts now; move it 45 min ahead so it is "next" rather than due.
        await db.Reservations.Where(r => r.Title == "Nightly chaos").ExecuteUpdateAsync(s => s
            .SetProperty(r => r.StartUtc, now.AddMinutes(45)).SetProperty(r => r.EndUtc, now.AddMinutes(105)).SetProperty(r => r.Version, Guid.NewGuid()));
        await db.TestRuns.Where(r => r.ReservationId == reservationId).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.ProgressPercent, 62).SetProperty(r => r.StartedUtc, now.AddMinutes(-34))
            .SetProperty(r => r.LastHeartbeatUtc, now.AddSeconds(-20)).SetProperty(r => r.Version, Guid.NewGuid()));

        var environments = await db.Environments.OrderBy(e => e.SortOrder).ToListAsync();
        var random = new Random(5);
        foreach (var environment in environments)
        {
            var number = int.Parse(environment.Key["env-".Length..], System.Globalization.CultureInfo.InvariantCulture);
            var baseLatency = number switch { 3 => 1800, 5 => 900, _ => 40 + number * 15 };
            for (var minutesAgo = 58; minutesAgo >= 0; minutesAgo -= 2)
                db.HealthSamples.Add(new HealthSample
                {
                    EnvironmentId = environment.Id,
                    AtUtc = now.AddMinutes(-minutesAgo),
                    Status = HealthStatus.Healthy,
                    LatencyMs = baseLatency + random.Next(0, baseLatency / 2 + 20),
                });
            environment.LastHealthCheckUtc = now.AddSeconds(-number * 7);
            environment.HealthLatencyMs = baseLatency;
            environment.Health = number switch { 3 => HealthStatus.Degraded, 5 => HealthStatus.Unhealthy, _ => HealthStatus.Healthy };
            environment.Version = Guid.NewGuid();
        }
        await db.SaveChangesAsync();
        services.GetRequiredService<BoardEvents>().Publish(new EnvironmentChanged(environments[0].Id, "env-1", EnvironmentState.Leased, HealthStatus.Healthy));
    }

    private static async Task SaveScreenshotAsync(IPage page)
    {
        var local = Path.Combine(AppContext.BaseDirectory, "screenshots", "wall.png");
        await page.ScreenshotAsync(new() { Path = local });
        if (Environment.GetEnvironmentVariable(UpdateScreenshotVariable) == "1")
        {
            var committed = Path.Combine(RepositoryRoot.Find(), ".github", "screenshots", "wall.png");
            Directory.CreateDirectory(Path.GetDirectoryName(committed)!);
            File.Copy(local, committed, overwrite: true);
        }
    }
}

/// <summary>The wall losing its connection, on a host of its own (it quarantines an environment).</summary>
public sealed class WallReconnectBrowserTests(KioskHostFixture host) : IClassFixture<KioskHostFixture>
{
    [SkippableFact]
    public async Task A_dropped_connection_shows_a_full_width_banner_and_the_wall_recovers_by_itself_with_what_happened_meanwhile()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1920, Height = 1080 } });
        page.SetDefaultTimeout(20_000);
        // The circuit's WebSocket goes through Playwright so the test can cut it; while "offline", new connections are refused.
        var offline = false;
        IWebSocketRoute? circuit = null;
        await page.RouteWebSocketAsync(new System.Text.RegularExpressions.Regex("/_blazor"), ws =>
        {
            if (Volatile.Read(ref offline)) { _ = ws.CloseAsync(new() { Code = 1011, Reason = "offline" }); return; }
            circuit = ws;
            ws.ConnectToServer();
        });
        await page.RouteAsync("**/_blazor/negotiate**", route => Volatile.Read(ref offline) ? route.AbortAsync() : route.ContinueAsync());
        await page.GotoAsync(new Uri(host.BaseAddress, $"/wall?key={KioskHostFixture.KioskKey}").ToString());
        await Assertions.Expect(page.GetByTestId("wall-banner")).ToHaveAttributeAsync("data-live", "true");
        await page.EvaluateAsync("() => window.wallMarker = 'never reloaded'");

        Volatile.Write(ref offline, true);
        await circuit!.CloseAsync(new() { Code = 1011, Reason = "network cut" });
        await Assertions.Expect(page.GetByTestId("wall-reconnect")).ToBeVisibleAsync();
        Assert.False(await page.EvaluateAsync<bool>("() => document.getElementById('components-reconnect-modal').open"), "no dialog on the wall");
        await BoardScenario.QuarantineAsync(host.Services, "env-5", "Quarantined while the wall was offline");

        Volatile.Write(ref offline, false);
        await Assertions.Expect(page.GetByTestId("wall-reconnect")).ToBeHiddenAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("[data-testid=wall-tile][data-env=env-5]")).ToHaveAttributeAsync("data-state", "Quarantined");
        Assert.Equal("never reloaded", await page.EvaluateAsync<string>("() => window.wallMarker"));
    }
}

/// <summary>The dense grid: 20 environments on one 1920×1080 screen, on a host configured with 20.</summary>
public sealed class WallDenseBrowserTests : IAsyncLifetime
{
    private const string Key = "dense-wall-key";
    private LeaseBoardAppFactory _host = default!;
    private Uri _address = default!;

    public Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?> { ["LeaseBoard:Wall:KioskKey"] = Key };
        for (var i = 0; i < 20; i++)
        {
            settings[$"LeaseBoard:Environments:{i}:Key"] = $"env-{i + 1}";
            settings[$"LeaseBoard:Environments:{i}:Name"] = $"Env {i + 1}";
            settings[$"LeaseBoard:Environments:{i}:Description"] = i % 2 == 0 ? "General purpose, 16 cores" : "High memory, 64 GiB, with a long description";
        }
        _host = new LeaseBoardAppFactory(settings: settings);
        _address = _host.StartOnLoopbackPort();
        return Task.CompletedTask;
    }

    [SkippableFact]
    public async Task Twenty_environments_fit_a_TV_screen_without_scrolling_and_keep_text_readable()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var page = await chromium.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1920, Height = 1080 } });
        page.SetDefaultTimeout(20_000);
        await BoardScenario.StartLeaseNowAsync(_host.Services, "env-7", "A long title for a dense tile that must end in an ellipsis");
        await BoardScenario.QuarantineAsync(_host.Services, "env-12", "Out for maintenance");

        await page.GotoAsync(new Uri(_address, $"/wall?key={Key}").ToString());
        await Assertions.Expect(page.GetByTestId("wall-banner")).ToHaveAttributeAsync("data-live", "true");
        await Assertions.Expect(page.GetByTestId("wall-tile")).ToHaveCountAsync(20);
        await Assertions.Expect(page.GetByTestId("wall-summary")).ToHaveTextAsync("18 free · 1 running · 1 quarantined");

        var fit = await page.EvaluateAsync<int[]>("""
            () => {
              const doc = document.scrollingElement;
              const tiles = [...document.querySelectorAll('[data-testid=wall-tile]')];
              const outside = tiles.map(t => t.getBoundingClientRect()).filter(r => r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5).length;
              // Lines that are shown must sit inside their tile (none cut off at the bottom).
              const cut = tiles.flatMap(t => [...t.querySelectorAll('.tile-body > *')].filter(e => e.offsetParent !== null)
                  .filter(e => e.getBoundingClientRect().bottom > t.getBoundingClientRect().bottom + 0.5)).length;
              const texts = tiles.flatMap(t => [...t.querySelectorAll('*')]).filter(e => e.offsetParent !== null && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()));
              const smallest = Math.min(...texts.map(e => parseFloat(getComputedStyle(e).fontSize)));
              return [doc.scrollHeight - doc.clientHeight, outside, cut, Math.floor(smallest)];
            }
            """);
        await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", "wall-20.png") });
        Assert.Equal(0, fit[0]);
        Assert.Equal(0, fit[1]);
        Assert.Equal(0, fit[2]);
        Assert.True(fit[3] >= 23, $"the smallest tile text is {fit[3]} px");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();
}
