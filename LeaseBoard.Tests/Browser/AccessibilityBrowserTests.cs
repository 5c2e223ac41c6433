using System.Globalization;
using LeaseBoard.Data;
using LeaseBoard.Components;
using LeaseBoard.Domain;
using LeaseBoard.Features.Wall;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.Browser;

/// <summary>
/// Issue 20 beyond the empty pages of the smoke run: a board in every state (a hung run, a running one, an environment that
/// needs attention, quarantines, and on the day after tomorrow a block in every reservation state) on a host of its own with
/// no job server, so nothing moves the states on. The dialogs and full pages must pass axe in light and dark mode, and every
/// state must be told by a word or a named icon, never by colour alone.
/// </summary>
public sealed class AccessibilityBrowserTests(AccessibleBoard board) : IClassFixture<AccessibleBoard>
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById(CalendarFlowTests.ViewerZone);

    public static TheoryData<string> Themes() => new(SmokeBrowser.Themes);

    [SkippableTheory]
    [MemberData(nameof(Themes))]
    public async Task The_booking_details_and_admin_action_dialogs_and_pages_full_of_states_have_no_wcag_violations(string theme)
    {
        var violations = new List<string>();
        async Task CheckAsync(IPage page, string what)
        {
            foreach (var violation in await Axe.ViolationsAsync(page)) violations.Add($"{what}: {violation}");
            await ShotAsync(page, theme, what);
        }
        // An open dialog is checked on its own: the page behind it is covered by the modal overlay (and checked without it).
        async Task CheckDialogAsync(IPage page, string what)
        {
            foreach (var violation in await Axe.ViolationsAsync(page.Locator(".mud-dialog"))) violations.Add($"{what}: {violation}");
            await ShotAsync(page, theme, what);
        }

        var admin = await board.SignedInAsync("Ada Access", admin: true, theme);
        var page = await admin.NewPageAsync();
        await OpenCalendarAsync(page, null);
        await CheckAsync(page, "calendar today (admin)");

        await page.GetByTestId("calendar-new").ClickAsync();
        await Assertions.Expect(page.GetByTestId("reservation-dialog")).ToBeVisibleAsync();
        await CheckDialogAsync(page, "booking dialog");
        await page.GetByTestId("reservation-dialog-close").ClickAsync();
        await Assertions.Expect(page.GetByTestId("reservation-dialog")).ToHaveCountAsync(0);

        await CalendarFlowTests.Block(page, "env-2", AccessibleBoard.RunningTitle).ClickAsync();
        await Assertions.Expect(page.GetByTestId("reservation-details")).ToBeVisibleAsync();
        await CheckDialogAsync(page, "details dialog of a running lease");
        await page.GetByTestId("details-close").ClickAsync();
        await Assertions.Expect(page.GetByTestId("reservation-details")).ToHaveCountAsync(0);

        await OpenCalendarAsync(page, board.StatesDay);
        await CheckAsync(page, "calendar with a block in every state (admin)");
        await CalendarFlowTests.Block(page, "env-2", AccessibleBoard.TitleOf(ReservationState.Scheduled)).ClickAsync();
        await Assertions.Expect(page.GetByTestId("reservation-details")).ToBeVisibleAsync();
        await CheckDialogAsync(page, "details dialog of a scheduled reservation (move form)");
        await page.GetByTestId("details-close").ClickAsync();

        await page.GotoAsync("/admin");
        var row = page.Locator("[data-testid=admin-env-row][data-env=env-2]");
        await Assertions.Expect(row.GetByTestId("admin-env-lease")).ToContainTextAsync(AccessibleBoard.RunningTitle);
        await CheckAsync(page, "admin page with running leases");
        await row.Locator("[data-action=quarantine]").ClickAsync();
        await Assertions.Expect(page.GetByTestId("action-dialog")).ToBeVisibleAsync();
        await CheckDialogAsync(page, "admin action dialog (quarantine)");

        await page.GotoAsync("/wall");
        await Assertions.Expect(page.GetByTestId("wall-tile")).ToHaveCountAsync(5);
        await CheckAsync(page, "wall with every severity");
        await page.CloseAsync();

        var user = await board.SignedInAsync("Uma Access", admin: false, theme);
        page = await user.NewPageAsync();
        await OpenCalendarAsync(page, board.StatesDay);
        await CheckAsync(page, "calendar with a block in every state (user: others' blocks)");
        await page.CloseAsync();

        Assert.True(violations.Count == 0, $"{violations.Count} WCAG 2.1 A/AA violations in {theme} mode:\n  - " + string.Join("\n  - ", violations));
    }

    [SkippableFact]
    public async Task Every_state_of_blocks_tiles_chips_and_lane_alarms_is_told_by_a_word_or_a_named_icon_not_by_colour_alone()
    {
        var context = await board.SignedInAsync("Ada Access", admin: true, "light");
        var page = await context.NewPageAsync();
        var problems = new List<string>();

        // Calendar blocks: every reservation state the calendar draws, each with a named icon and (past "scheduled") its word.
        await OpenCalendarAsync(page, board.StatesDay);
        var blocks = await LooksAsync(page, "[data-reservation-id]", """
            b => ({ key: b.dataset.state, text: b.innerText, icon: b.querySelector('[data-testid=block-state-icon] title')?.textContent ?? '',
                    name: b.getAttribute('aria-label') ?? '' })
            """);
        var drawn = AccessibleBoard.States.Where(s => s != ReservationState.Cancelled).ToList(); // cancelled slots leave the calendar
        Assert.Equal(drawn.Select(s => s.ToString()).Order(), blocks.Select(b => b.Key).Distinct().Order());
        foreach (var block in blocks)
        {
            var word = Word(Enum.Parse<ReservationState>(block.Key));
            if (block.Icon != word) problems.Add($"calendar block {block.Key}: its icon is named \"{block.Icon}\", not \"{word}\"");
            if (!block.Name.Contains(word, StringComparison.Ordinal)) problems.Add($"calendar block {block.Key}: its accessible name \"{block.Name}\" lacks \"{word}\"");
            if (block.Key != nameof(ReservationState.Scheduled) && !block.Text.Contains(word, StringComparison.Ordinal))
                problems.Add($"calendar block {block.Key}: \"{block.Text}\" does not say \"{word}\"");
        }

        // Today: the running lease, and the lane alarms (HUNG, ATTENTION) in words with an icon.
        await OpenCalendarAsync(page, null);
        // (env-1's run is hung by the wall's rule, no heartbeat past the timeout; its block follows the run's state until supervise marks it.)
        var running = await LooksAsync(page, "[data-lane=env-2] [data-reservation-id]", "b => ({ key: b.dataset.state, text: b.innerText })");
        if (!running.Any(b => b.Text.Contains("running 62%", StringComparison.Ordinal))) problems.Add("the running lease's block does not say \"running 62%\": " + string.Join(" | ", running.Select(b => b.Text)));
        var alarms = await LooksAsync(page, "[data-testid=lane-alarm]", "a => ({ key: a.dataset.severity, text: a.innerText, icon: a.querySelector('svg') ? 'icon' : '', name: a.getAttribute('aria-label') ?? '' })");
        Assert.Equal(["attention", "hung"], alarms.Select(a => a.Key).Order());
        foreach (var alarm in alarms)
            if (alarm.Text.Trim() != alarm.Key.ToUpperInvariant() || alarm.Icon == "" || alarm.Name == "")
                problems.Add($"lane alarm {alarm.Key}: \"{alarm.Text}\", icon {(alarm.Icon == "" ? "missing" : "shown")}, name \"{alarm.Name}\"");

        // Chips (environment state and health, reservation states) on the calendar, the booking page and the admin page: each has its word.
        foreach (var path in new[] { "/", "/book", "/admin", "/reservations/mine" })
        {
            await page.GotoAsync(path);
            await page.GetByTestId("circuit-live").WaitForAsync(new() { State = WaitForSelectorState.Attached });
            await Assertions.Expect(page.Locator(".mud-progress-indeterminate:visible")).ToHaveCountAsync(0); // loaded (a lease's progress bar stays)
            var chips = await LooksAsync(page, ".mud-chip", "c => ({ key: c.dataset.state ?? c.dataset.health ?? c.className, text: c.innerText })");
            if (path != "/reservations/mine" && chips.Length == 0) problems.Add($"{path} shows no chips to check");
            foreach (var chip in chips.Where(c => string.IsNullOrWhiteSpace(c.Text)))
                problems.Add($"{path}: a chip ({chip.Key}) shows no word");
        }

        // Wall tiles: each severity's word in capitals and its icon; a hung run is the attention red, never a grey.
        await page.GotoAsync("/wall");
        await Assertions.Expect(page.GetByTestId("wall-tile")).ToHaveCountAsync(5);
        var tiles = await LooksAsync(page, "[data-testid=wall-tile]", """
            t => ({ key: t.dataset.severity, text: t.querySelector('[data-testid=wall-state]').innerText.trim(),
                    icon: t.querySelector('[data-testid=wall-state-icon]')?.getBoundingClientRect().width > 0 ? 'icon' : '', name: getComputedStyle(t).backgroundColor })
            """);
        Assert.Equal(["Attention", "Hung", "Leased", "Quarantined", "Unhealthy"], tiles.Select(t => t.Key).Order());
        foreach (var tile in tiles)
        {
            var word = WallSeverities.WordOf(Enum.Parse<WallSeverity>(tile.Key)).ToUpperInvariant();
            if (tile.Text != word || tile.Icon == "") problems.Add($"wall tile {tile.Key}: says \"{tile.Text}\" (expected \"{word}\"), icon {(tile.Icon == "" ? "missing" : "shown")}");
        }
        var hungTile = tiles.Single(t => t.Key == "Hung");
        if (Saturation(hungTile.Name) < 0.5) problems.Add($"the hung tile is {hungTile.Name}, a grey, not an alarm");
        await page.CloseAsync();

        Assert.True(problems.Count == 0, "States told by colour alone:\n  - " + string.Join("\n  - ", problems));
    }

    /// <summary>What was checked, to look at (in the build output's screenshots folder, not committed).</summary>
    private static Task ShotAsync(IPage page, string theme, string what) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", "a11y", $"{theme}-{string.Concat(what.Split(' ', '(', ')', ':', '\'').Where(w => w != "")).ToLowerInvariant()}.png") });

    private static string Word(ReservationState state) => state switch
    {
        ReservationState.TimedOut => "timed out",
        ReservationState.ForceReleased => "force-released",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static async Task OpenCalendarAsync(IPage page, DateOnly? day)
    {
        await page.GotoAsync(day is { } d ? $"/?day={d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}" : "/");
        await page.GetByTestId("circuit-live").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await CalendarFlowTests.WaitForCalendarAsync(page);
        await Assertions.Expect(page.Locator(".mud-progress-indeterminate:visible")).ToHaveCountAsync(0);
    }

    private static Task<Look[]> LooksAsync(IPage page, string selector, string map) =>
        page.Locator(selector).EvaluateAllAsync<Look[]>($"els => els.map({map})");

    /// <summary>HSL saturation of a CSS rgb() colour: 0 for greys.</summary>
    private static double Saturation(string rgb)
    {
        var parts = rgb[(rgb.IndexOf('(') + 1)..rgb.IndexOf(')')].Split(',').Take(3).Select(p => double.Parse(p, CultureInfo.InvariantCulture) / 255).ToArray();
        var (max, min) = (parts.Max(), parts.Min());
        var lightness = (max + min) / 2;
        return max == min ? 0 : (max - min) / (1 - Math.Abs(2 * lightness - 1));
    }

    // Playwright fills evaluate results through a parameterless constructor and setters.
    public sealed class Look
    {
        public string Key { get; set; } = "";
        public string Text { get; set; } = "";
        public string Icon { get; set; } = "";
        public string Name { get; set; } = "";
    }
}

/// <summary>
/// A host of its own (no job server: the seeded states stay put) with the wall's every-severity board, and on the day after
/// tomorrow (Berlin) one reservation in every state on env-2; one Chromium, one signed-in context per person and theme.
/// </summary>
public sealed class AccessibleBoard : IAsyncLifetime
{
    public const string RunningTitle = "Nightly chaos"; // WallSeverityBrowserTests' running lease on env-2 (env-1's hangs)

    public static readonly IReadOnlyList<ReservationState> States = Enum.GetValues<ReservationState>();

    private readonly LeaseBoardAppFactory _host = new(settings: WallSeverityBrowserTests.Settings(5));
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(string, string), IBrowserContext> _contexts = [];
    private Uri _address = default!;
    private Task<Chromium>? _chromium;

    public DateOnly StatesDay { get; private set; }

    public static string TitleOf(ReservationState state) => $"{state} slot";

    public async Task InitializeAsync()
    {
        _address = _host.StartOnLoopbackPort();
        await WallSeverityBrowserTests.SeedAsync(_host.Services, 5);
        var berlin = TimeZoneInfo.FindSystemTimeZoneById(CalendarFlowTests.ViewerZone);
        StatesDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, berlin).Date.AddDays(2));
        var env2 = await BoardScenario.EnvironmentIdAsync(_host.Services, "env-2");
        await using var db = await _host.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>().CreateDbContextAsync();
        for (var i = 0; i < States.Count; i++)
        {
            var local = StatesDay.ToDateTime(new TimeOnly(8, 0)).AddMinutes(50 * i);
            var start = TimeZoneInfo.ConvertTimeToUtc(local, berlin);
            db.Reservations.Add(new ReservationBuilder(env2, start, start.AddMinutes(40)).Titled(TitleOf(States[i])).InState(States[i])
                .OwnedBy(i % 2 == 0 ? TestActors.Ana : TestActors.Ben).Build());
        }
        await db.SaveChangesAsync();
    }

    public async Task<IBrowserContext> SignedInAsync(string name, bool admin, string theme)
    {
        await _gate.WaitAsync();
        try
        {
            var chromium = await (_chromium ??= Chromium.LaunchAsync());
            if (_contexts.TryGetValue((name, theme), out var existing)) return existing;
            var context = await chromium.Browser.NewContextAsync(new()
            {
                BaseURL = _address.ToString(), TimezoneId = CalendarFlowTests.ViewerZone, Locale = "en-GB", ViewportSize = new() { Width = 1400, Height = 1000 },
            });
            context.SetDefaultTimeout(20_000);
            await context.AddCookiesAsync([new Cookie { Name = ThemeChoice.CookieName, Value = theme, Url = _address.ToString() }]);
            await Chromium.SignInAsync(context, name, admin);
            _contexts[(name, theme)] = context;
            return context;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts.Values) await context.DisposeAsync();
        if (_chromium is { IsCompletedSuccessfully: true } launched) await launched.Result.DisposeAsync();
        await _host.DisposeAsync();
        _gate.Dispose();
    }
}
