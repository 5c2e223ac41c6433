using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Environments;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.Browser;

/// <summary>
/// Issue 14: on a 1920×1080 TV with 5, 20 and 50 environments, a hung run is the loudest tile on the wall (HUNG, the
/// attention red and nothing else in it), every severity keeps its own colour, and no text inside any tile is clipped.
/// Each size runs on a host of its own, configured with that many environments; the hang is written into the run's
/// state directly (no heartbeat for 20 min, past the 15 min hang timeout) since the host runs no job server.
/// </summary>
public sealed class WallSeverityBrowserTests
{
    private const string Key = "severity-wall-key";

    [SkippableTheory]
    [InlineData(5)]
    [InlineData(20)]
    [InlineData(50)]
    public async Task A_hung_run_is_the_loudest_tile_and_no_tile_text_is_clipped_on_a_TV(int environments)
    {
        await using var chromium = await Chromium.LaunchAsync();
        await using var host = new LeaseBoardAppFactory(settings: Settings(environments));
        var address = host.StartOnLoopbackPort();
        await SeedAsync(host.Services, environments);

        var page = await chromium.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1920, Height = 1080 }, TimezoneId = "Europe/Berlin", Locale = "en-GB" });
        page.SetDefaultTimeout(20_000);
        await page.GotoAsync(new Uri(address, $"/wall?key={Key}").ToString());
        await page.GetByTestId("circuit-live").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.GetByTestId("wall-banner")).ToHaveAttributeAsync("data-live", "true");
        await Assertions.Expect(page.GetByTestId("wall-tile")).ToHaveCountAsync(environments);

        // The banner names the hung run and what needs a person before any count, and does not count the hung run as running.
        var summary = page.GetByTestId("wall-summary");
        if (environments == 5)
            await Assertions.Expect(summary).ToHaveTextAsync("1 HUNG · Env 1 — 1 needs attention · Env 3 — 0 free · 1 running · 2 quarantined");
        else
            await Assertions.Expect(summary).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^1 HUNG · Env 1 — 1 needs attention · Env 3 — \\d+ free · 3 running · 1 cleaning up · 2 quarantined"));

        var hung = page.Locator("[data-testid=wall-tile][data-env=env-1]");
        await Assertions.Expect(hung).ToHaveAttributeAsync("data-severity", "Hung");
        Assert.Equal("HUNG", (await hung.GetByTestId("wall-state").InnerTextAsync()).Trim()); // innerText: as painted, in capitals
        Assert.True(await hung.GetByTestId("wall-state-icon").IsVisibleAsync(), "the state has an icon, not only a colour");

        var tiles = await page.EvaluateAsync<TileLook[]>("""
            () => [...document.querySelectorAll('[data-testid=wall-tile]')].map(t => {
              const s = getComputedStyle(t);
              return { env: t.dataset.env, severity: t.dataset.severity, background: s.backgroundColor, border: s.borderTopColor,
                       state: t.querySelector('[data-testid=wall-state]').innerText.trim() };
            })
            """);
        var attention = Rgb(EnvironmentStateStyle.Attention.Background);
        Assert.Equal(attention, tiles.Single(t => t.Env == "env-1").Background);
        Assert.All(tiles.Where(t => t.Severity is not ("Hung" or "Attention")), t =>
            Assert.True(t.Background != attention, $"{t.Env} ({t.Severity}) has the attention colour {t.Background}"));
        // One colour per severity, and no two severities share one (hung and attention share the attention red).
        var bySeverity = tiles.GroupBy(t => t.Severity == "Attention" ? "Hung" : t.Severity).ToDictionary(g => g.Key, g => g.Select(t => t.Background).Distinct().ToList());
        Assert.All(bySeverity, kv => Assert.True(kv.Value.Count == 1, $"{kv.Key} tiles have {kv.Value.Count} colours: {string.Join(", ", kv.Value)}"));
        Assert.Equal(bySeverity.Count, bySeverity.Values.Select(v => v[0]).Distinct().Count());
        Assert.All(tiles, t => Assert.Equal(t.State, t.State.ToUpperInvariant()));

        // A leased tile, however small, keeps its state word, owner, time left and heartbeat age.
        foreach (var env in new[] { "env-1", "env-2" })
        {
            var tile = page.Locator($"[data-testid=wall-tile][data-env={env}]");
            await Assertions.Expect(tile.GetByTestId("wall-state")).ToBeVisibleAsync();
            await Assertions.Expect(tile.GetByTestId("wall-lease-owner")).ToContainTextAsync("Ana");
            await Assertions.Expect(tile.GetByTestId("wall-lease-owner")).ToBeVisibleAsync();
            await Assertions.Expect(tile.GetByTestId("wall-remaining")).ToBeVisibleAsync();
            await Assertions.Expect(tile.Locator("[data-testid^=wall-heartbeat]:visible")).ToHaveCountAsync(1);
        }
        await Assertions.Expect(hung.Locator("[data-testid^=wall-heartbeat]:visible")).ToContainTextAsync(environments == 5 ? "No heartbeat for 20 min" : "No beat 20 min");

        // Nothing clipped: every shown element inside every tile holds its content, and the page never scrolls.
        var clipped = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('[data-testid=wall-tile]')].flatMap(t => [t, ...t.querySelectorAll('*')]
                .filter(e => !(e instanceof SVGElement) || e.tagName.toLowerCase() === 'svg')
                .filter(e => e.getClientRects().length > 0)
                .filter(e => e.scrollWidth > e.clientWidth || e.scrollHeight > e.clientHeight)
                .map(e => `${t.dataset.env} .${(e.getAttribute('class') || e.tagName).replace(/ /g, '.')} "${e.textContent.trim().slice(0, 50)}" ` +
                          `${e.scrollWidth}×${e.scrollHeight} in ${e.clientWidth}×${e.clientHeight}`))
            """);
        var fit = await page.EvaluateAsync<int[]>("""
            () => {
              const doc = document.scrollingElement;
              const texts = [...document.querySelectorAll('[data-testid=wall-tile] *')].filter(e => e.getClientRects().length > 0 && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()));
              return [doc.scrollHeight - doc.clientHeight, doc.scrollWidth - doc.clientWidth, Math.floor(Math.min(...texts.map(e => parseFloat(getComputedStyle(e).fontSize))))];
            }
            """);
        // The five-tile wall is the committed picture (LEASEBOARD_UPDATE_SCREENSHOT=1); the dense ones stay in the build output.
        if (environments == 5) await Screenshots.SaveAsync(page, "wall-hung.png");
        else await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", $"wall-hung-{environments}.png") });
        Assert.True(clipped.Length == 0, $"{clipped.Length} clipped:\n" + string.Join("\n", clipped.Take(30)));
        Assert.Equal(0, fit[0]);
        Assert.Equal(0, fit[1]);
        Assert.True(fit[2] >= 23, $"the smallest tile text is {fit[2]} px");
        if (environments == 50)
        {
            await Assertions.Expect(page.Locator("[data-testid=wall-health-detail]:visible")).ToHaveCountAsync(0); // latency goes first
            await Assertions.Expect(page.Locator("[data-testid=wall-sparkline]:visible")).ToHaveCountAsync(0);
        }
    }

    [SkippableFact]
    public async Task A_screen_for_two_environments_shows_only_them_in_four_columns_and_names_an_unknown_id_in_place()
    {
        await using var chromium = await Chromium.LaunchAsync();
        await using var host = new LeaseBoardAppFactory(settings: Settings(5));
        var address = host.StartOnLoopbackPort();
        var page = await chromium.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1920, Height = 1080 } });
        page.SetDefaultTimeout(20_000);

        var response = await page.GotoAsync(new Uri(address, $"/wall?key={Key}&envs=env-2,env-9,env-4&cols=4&size=l").ToString());
        Assert.Equal(200, response!.Status);
        await page.GetByTestId("circuit-live").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.GetByTestId("wall-banner")).ToHaveAttributeAsync("data-live", "true");

        Assert.Equal(["env-2", "env-4"], await page.GetByTestId("wall-tile").EvaluateAllAsync<string[]>("ts => ts.map(t => t.dataset.env)"));
        await Assertions.Expect(page.GetByTestId("wall-unknown-envs")).ToContainTextAsync("No environment is called env-9");
        await Assertions.Expect(page.GetByTestId("wall-grid")).ToHaveAttributeAsync("data-columns", "2"); // never more columns than tiles
        await Assertions.Expect(page.GetByTestId("wall-grid")).ToHaveAttributeAsync("data-size", "l");
        await Assertions.Expect(page.GetByTestId("wall-banner")).ToContainTextAsync("kiosk");
    }

    internal static Dictionary<string, string?> Settings(int environments)
    {
        var settings = new Dictionary<string, string?> { ["LeaseBoard:Wall:KioskKey"] = Key, ["LeaseBoard:Leases:HangTimeout"] = "00:15:00" };
        for (var i = 0; i < environments; i++)
        {
            settings[$"LeaseBoard:Environments:{i}:Key"] = $"env-{i + 1}";
            settings[$"LeaseBoard:Environments:{i}:Name"] = $"Env {i + 1}";
            settings[$"LeaseBoard:Environments:{i}:Description"] = i % 2 == 0 ? "General purpose, 16 cores" : "High memory, 64 GiB";
        }
        return settings;
    }

    /// <summary>
    /// Every severity the size allows: env-1 hung, env-2 leased, env-3 needs attention (a stop that failed), env-4 auto-quarantined
    /// unhealthy, env-5 quarantined by an admin; from 20 on also env-6 degraded, env-7 cleaning up, env-8 leased with an ageing
    /// heartbeat, env-9 leased on a degraded environment, env-10 with a slot coming up. An hour of probes everywhere.
    /// </summary>
    internal static async Task SeedAsync(IServiceProvider services, int environments)
    {
        var dbs = services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var hung = await BoardScenario.StartLeaseNowAsync(services, "env-1", "Checkout soak", TimeSpan.FromHours(2), TestActors.Ana);
        var leased = await BoardScenario.StartLeaseNowAsync(services, "env-2", "Nightly chaos", TimeSpan.FromHours(1), TestActors.Ana);
        await BoardScenario.QuarantineAsync(services, "env-3",
            $"{TestEnvironment.NeedsAttentionPrefix} Run sim-3 could not be stopped (graceful and force stop failed or went unanswered).");
        await BoardScenario.QuarantineAsync(services, "env-4", "Unhealthy: 3 health checks in a row failed (timeout after 5 s)");
        await BoardScenario.QuarantineAsync(services, "env-5", "Switch port flapping");
        int? ageing = null, degradedLease = null;
        if (environments >= 20)
        {
            ageing = await BoardScenario.StartLeaseNowAsync(services, "env-8", "Payments load", TimeSpan.FromMinutes(90), TestActors.Ben);
            degradedLease = await BoardScenario.StartLeaseNowAsync(services, "env-9", "Search stress", TimeSpan.FromMinutes(40), TestActors.Ben);
            var next = await BoardScenario.ScheduleNowAsync(services, "env-10", "Inventory soak", TimeSpan.FromMinutes(30), TestActors.Ben);
            await using var slots = await dbs.CreateDbContextAsync();
            await slots.Reservations.Where(r => r.Id == next).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.StartUtc, now.AddMinutes(45)).SetProperty(r => r.EndUtc, now.AddMinutes(75)).SetProperty(r => r.Version, Guid.NewGuid()));
        }

        await using var db = await dbs.CreateDbContextAsync();
        async Task Beat(int reservationId, int progress, TimeSpan ago, TimeSpan running) =>
            await db.TestRuns.Where(r => r.ReservationId == reservationId).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.ProgressPercent, progress).SetProperty(r => r.StartedUtc, now - running)
                .SetProperty(r => r.LastHeartbeatUtc, now - ago).SetProperty(r => r.LastProgressUtc, now - ago).SetProperty(r => r.Version, Guid.NewGuid()));
        await Beat(hung, 41, TimeSpan.FromMinutes(20), TimeSpan.FromMinutes(50)); // past the 15 min hang timeout
        await Beat(leased, 62, TimeSpan.FromSeconds(20), TimeSpan.FromMinutes(34));
        if (ageing is { } a) await Beat(a, 30, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(30));
        if (degradedLease is { } d) await Beat(d, 75, TimeSpan.FromSeconds(40), TimeSpan.FromMinutes(20));

        var random = new Random(14);
        foreach (var environment in await db.Environments.ToListAsync())
        {
            var number = int.Parse(environment.Key["env-".Length..], System.Globalization.CultureInfo.InvariantCulture);
            var latency = number switch { 4 => 4800, 6 or 9 => 1800, _ => 40 + number * 7 };
            for (var minutesAgo = 58; minutesAgo >= 0; minutesAgo -= 4)
                db.HealthSamples.Add(new HealthSample
                {
                    EnvironmentId = environment.Id, AtUtc = now.AddMinutes(-minutesAgo), Status = HealthStatus.Healthy,
                    LatencyMs = latency + random.Next(0, latency / 2 + 20),
                });
            environment.LastHealthCheckUtc = now.AddSeconds(-(number % 9) * 6);
            environment.HealthLatencyMs = latency;
            environment.Health = number switch { 4 => HealthStatus.Unhealthy, 6 or 9 => HealthStatus.Degraded, _ => HealthStatus.Healthy };
            if (number == 7) environment.State = EnvironmentState.CleaningUp;
            environment.Version = Guid.NewGuid();
        }
        await db.SaveChangesAsync();
        services.GetRequiredService<BoardEvents>().Publish(new EnvironmentChanged(1, "env-1", EnvironmentState.Leased, HealthStatus.Healthy));
    }

    private static string Rgb(string hex)
    {
        var h = hex.TrimStart('#');
        var (r, g, b) = (Convert.ToInt32(h[..2], 16), Convert.ToInt32(h[2..4], 16), Convert.ToInt32(h[4..6], 16));
        return $"rgb({r}, {g}, {b})";
    }

    // Playwright fills evaluate results through a parameterless constructor and setters.
    private sealed class TileLook
    {
        public string Env { get; set; } = "";
        public string Severity { get; set; } = "";
        public string Background { get; set; } = "";
        public string Border { get; set; } = "";
        public string State { get; set; } = "";
    }
}
