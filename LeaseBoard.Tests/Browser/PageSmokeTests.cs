using LeaseBoard.Components;
using LeaseBoard.Features.SignIn;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text.RegularExpressions;
using LeaseBoard.Setup;
using LeaseBoard.Tests.TestSupport;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.Browser;

/// <summary>
/// Every page of the app, found from its own route attributes (plus the API reference, the jobs
/// dashboard and an unknown address), opened in real Chromium as a user and as an admin. A page fails
/// on what a person would see as broken or what breaks air-gapped use: an unexpected status, Blazor's
/// error bar, a page exception, a console error, a failed sub-request, a request to another host, a
/// circuit that never comes up or a page that never stops loading.
/// </summary>
[Collection(SharedAppCollection.Name)]
public sealed partial class PageSmokeTests(SharedAppFixture app, SmokeBrowser browser) : IClassFixture<SmokeBrowser>
{
    private const string AdminsOnlyText = "This page is for admins";

    /// <summary>Addresses that are no Blazor route but still pages people open.</summary>
    private static readonly string[] OtherPages = ["/api/docs", "/hangfire", "/no-such-page"];

    /// <summary>Pages only admins may open that are not Blazor routes (those say so with their policy).</summary>
    private static readonly string[] OtherAdminPages = ["/hangfire"];

    /// <summary>
    /// Where the markup is not ours: Scalar's API reference and Hangfire's dashboard (their own HTML, CSS and lang attribute).
    /// They are opened and checked like every page, but not held to axe; a user sent to /denied from /hangfire is.
    /// </summary>
    private static readonly string[] ThirdPartyFolders = ["/api/docs", "/hangfire"];

    public static TheoryData<string, string, string> Pages()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var user in SmokeBrowser.Users.Keys)
            foreach (var theme in SmokeBrowser.Themes)
                foreach (var path in AppPages.All.Select(p => p.SamplePath).Concat(OtherPages).Distinct())
                    data.Add(user, theme, path);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Pages))]
    public async Task Page_opens_cleanly_with_no_errors_no_outside_requests_and_no_wcag_violations(string user, string theme, string path)
    {
        var context = await browser.SignedInAsync(app.BaseAddress, user, theme);
        var expected = Expect(user, path);
        var problems = new ConcurrentQueue<string>();
        var consoleErrors = new ConcurrentQueue<(string Text, string Url)>();
        var page = await context.NewPageAsync();
        page.Request += (_, r) =>
        {
            if (!IsApp(r.Url)) problems.Enqueue($"requested {r.Url} from another host (the app must work air-gapped)");
        };
        page.Response += (_, r) =>
        {
            if (r.Status >= 400 && r.Request.ResourceType != "document") problems.Enqueue($"{r.Request.Method} {r.Url} answered {r.Status}");
        };
        page.Console += (_, m) =>
        {
            if (m.Type == "error") consoleErrors.Enqueue((m.Text, m.Location));
        };
        page.PageError += (_, e) => problems.Enqueue("page exception: " + e);
        try
        {
            var response = await page.GotoAsync(path, new() { WaitUntil = WaitUntilState.Load, Timeout = (float)SmokeBrowser.NavigationTimeout.TotalMilliseconds });
            Assert.NotNull(response);
            var finalPath = new Uri(page.Url).AbsolutePath;
            if (response.Status != expected.Status) problems.Enqueue($"the document answered {response.Status}, expected {expected.Status}");
            if (!string.Equals(finalPath, expected.Path, StringComparison.Ordinal)) problems.Enqueue($"landed on {finalPath}, expected {expected.Path}");

            // Interactive pages are judged once the circuit has taken over and the page has finished loading.
            if ((await response.TextAsync()).Contains("<!--Blazor:{\"type\":\"server\"", StringComparison.Ordinal))
                await WaitOrReportAsync(problems, $"the interactive circuit did not come up within {SmokeBrowser.SettleTimeout.TotalSeconds:0} s",
                    () => page.GetByTestId("circuit-live").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = Ms(SmokeBrowser.SettleTimeout) }));
            await WaitOrReportAsync(problems, $"still showing a loading indicator after {SmokeBrowser.SettleTimeout.TotalSeconds:0} s",
                () => Assertions.Expect(page.Locator(".mud-progress-linear:visible, .mud-progress-circular:visible, .mud-skeleton:visible"))
                    .ToHaveCountAsync(0, new() { Timeout = Ms(SmokeBrowser.SettleTimeout) }));
            await WaitOrReportAsync(problems, $"the network did not go idle within {SmokeBrowser.SettleTimeout.TotalSeconds:0} s",
                () => page.WaitForLoadStateAsync(LoadState.NetworkIdle, new() { Timeout = Ms(SmokeBrowser.SettleTimeout) }));

            if (expected.Text is { } text)
                await WaitOrReportAsync(problems, $"does not show \"{text}\"",
                    () => Assertions.Expect(page.Locator("body")).ToContainTextAsync(text, new() { Timeout = Ms(TimeSpan.FromSeconds(5)) }));
            if (await page.Locator("#blazor-error-ui").IsVisibleAsync())
                problems.Enqueue("Blazor's error bar is showing: " + Squash(await page.Locator("#blazor-error-ui").InnerTextAsync()));
            if (await page.Locator("#components-reconnect-modal[open]").CountAsync() > 0)
                problems.Enqueue("the reconnect dialog is showing (the circuit was lost)");
            await CheckIconAsync(page, problems);
            var title = await page.TitleAsync();
            if (!title.Contains("LeaseBoard", StringComparison.Ordinal))
                problems.Enqueue($"its title \"{title}\" does not name the app (a tab should say what it is)");
            if (!ThirdPartyFolders.Any(folder => finalPath.StartsWith(folder, StringComparison.Ordinal)))
                foreach (var violation in await Axe.ViolationsAsync(page))
                    problems.Enqueue("WCAG 2.1 A/AA: " + violation);
            foreach (var (message, location) in consoleErrors)
            {
                var url = SourcePosition().Replace(location, ""); // Playwright gives "url:line:column"
                // A page meant to be refused logs its own status; that line is the refusal, not a fault.
                var ownStatus = expected.Status >= 400 && response.Status == expected.Status && url == page.Url && message.StartsWith("Failed to load resource", StringComparison.Ordinal);
                if (!ownStatus) problems.Enqueue($"console error: {Squash(message)} ({url})");
            }
        }
        finally
        {
            await page.CloseAsync();
        }

        Assert.True(problems.IsEmpty, $"{path} as {user} ('{SmokeBrowser.Users[user].Name}'), {theme} mode:\n  - " + string.Join("\n  - ", problems.Distinct()));
    }

    /// <summary>The pages found by reflection are the ones the test opens: a new page is covered without editing this test.</summary>
    [Fact]
    public void The_smoke_run_covers_every_routable_page_including_the_known_ones()
    {
        var paths = Pages().Select(row => (string)row[2]).ToHashSet();

        Assert.Superset(new HashSet<string> { "/", "/book", "/reservations/mine", "/wall", "/tokens", "/admin", "/signin", "/denied", "/not-found", "/Error", "/api/docs", "/hangfire" }, paths);
        Assert.Equal(AppPages.All.Count + OtherPages.Length, paths.Count);
    }

    /// <summary>Headless Chromium fetches no icon by itself, so ask for the one a browser tab would show: the declared one, else /favicon.ico.</summary>
    private async Task CheckIconAsync(IPage page, ConcurrentQueue<string> problems)
    {
        var icon = await page.EvaluateAsync<string>("() => document.querySelector('link[rel~=icon]')?.href ?? new URL('/favicon.ico', location.href).href");
        if (icon.StartsWith("data:", StringComparison.Ordinal)) return;
        if (!IsApp(icon))
        {
            problems.Enqueue($"its icon {icon} is on another host");
            return;
        }
        var answer = await page.Context.APIRequest.GetAsync(icon);
        if (!answer.Ok) problems.Enqueue($"its icon {icon} answered {answer.Status}");
        else if (answer.Headers.TryGetValue("content-type", out var type) && !type.StartsWith("image/", StringComparison.Ordinal))
            problems.Enqueue($"its icon {icon} is {type}, not an image");
    }

    private static async Task WaitOrReportAsync(ConcurrentQueue<string> problems, string problem, Func<Task> wait)
    {
        try
        {
            await wait();
        }
        catch (Exception e) when (e is TimeoutException or PlaywrightException)
        {
            problems.Enqueue(problem);
        }
    }

    /// <summary>What a person should get: most pages open as asked; some are meant to refuse or to say "not found".</summary>
    private static Expected Expect(string user, string path)
    {
        var admin = SmokeBrowser.Users[user].Admin;
        var adminOnly = OtherAdminPages.Contains(path) || AppPages.All.Any(p => p.SamplePath == path && p.AdminOnly);
        return path switch
        {
            _ when adminOnly && !admin => new(403, "/denied", AdminsOnlyText),
            "/denied" => new(403, "/denied", AdminsOnlyText),
            "/not-found" or "/no-such-page" => new(404, path, "Page not found"),
            "/Error" => new(200, path, "Something went wrong"),
            "/signin" => new(200, path, "Sign in"),
            "/api/docs" => new(200, "/api/docs/", "LeaseBoard API"), // Scalar serves its page under the folder address
            _ => new(200, path, null),
        };
    }

    private bool IsApp(string url) =>
        !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is "data" or "blob" or "about"
        || (uri.Host == app.BaseAddress.Host && uri.Port == app.BaseAddress.Port);

    private static float Ms(TimeSpan timeout) => (float)timeout.TotalMilliseconds;

    private static string Squash(string text) => WhiteSpace().Replace(text, " ").Trim();

    [GeneratedRegex(@":\d+:\d+$")]
    private static partial Regex SourcePosition();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();

    private sealed record Expected(int Status, string Path, string? Text);
}

/// <summary>The routable Blazor pages of the app, read from its own <see cref="RouteAttribute"/>s.</summary>
public static partial class AppPages
{
    public static IReadOnlyList<AppPage> All { get; } = typeof(Program).Assembly.GetTypes()
        .Where(t => typeof(IComponent).IsAssignableFrom(t) && !t.IsAbstract)
        .SelectMany(t => t.GetCustomAttributes<RouteAttribute>().Select(r => new AppPage(r.Template, t)))
        .OrderBy(p => p.Template, StringComparer.Ordinal)
        .ToList();

    /// <summary>A template with its parameters filled with plausible values (a page must cope with an id that does not exist).</summary>
    public static string Fill(string template) => Parameter().Replace(template, m => m.Groups["constraint"].Value switch
    {
        "int" or "long" => "1",
        "guid" => Guid.Empty.ToString(),
        "bool" => "true",
        "datetime" => "2026-11-30",
        _ => "sample",
    });

    [GeneratedRegex(@"\{\**(?<name>\w+)(:(?<constraint>\w+)[^}]*)?\??\}")]
    private static partial Regex Parameter();
}

public sealed record AppPage(string Template, Type Component)
{
    public string SamplePath => AppPages.Fill(Template.StartsWith('/') ? Template : "/" + Template);
    public bool AdminOnly => Component.GetCustomAttributes<AuthorizeAttribute>().Any(a => a.Policy == Roles.AdminPolicy || a.Roles?.Contains(Roles.Admin) == true);
}

/// <summary>One Chromium for the smoke run, and one signed-in browser context per user, made on first use.</summary>
public sealed class SmokeBrowser : IAsyncLifetime
{
    public static readonly TimeSpan NavigationTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(45);

    public static readonly IReadOnlyDictionary<string, (string Name, bool Admin)> Users = new Dictionary<string, (string, bool)>
    {
        ["user"] = ("Sam Smoke", false),
        ["admin"] = ("Ada Smoke", true),
    };

    private readonly SemaphoreSlim _gate = new(1, 1);
    /// <summary>The viewer's theme, as the layout's toggle remembers it (a cookie the server reads for the first paint).</summary>
    public static readonly IReadOnlyList<string> Themes = ["light", "dark"];

    private readonly Dictionary<(string User, string Theme), IBrowserContext> _contexts = [];
    private Task<Chromium>? _chromium;

    public async Task<IBrowserContext> SignedInAsync(Uri baseAddress, string user, string theme = "light")
    {
        await _gate.WaitAsync();
        try
        {
            // Launched lazily inside a test, so a missing browser skips (or, under CI, fails) the tests rather than the fixture.
            var chromium = await (_chromium ??= Chromium.LaunchAsync());
            if (_contexts.TryGetValue((user, theme), out var existing)) return existing;

            var (name, admin) = Users[user];
            var context = await chromium.Browser.NewContextAsync(new()
            {
                BaseURL = baseAddress.ToString(), TimezoneId = "Europe/Berlin", Locale = "en-GB", ViewportSize = new() { Width = 1400, Height = 1000 },
            });
            context.SetDefaultTimeout((float)SettleTimeout.TotalMilliseconds);
            context.SetDefaultNavigationTimeout((float)NavigationTimeout.TotalMilliseconds);
            // Nothing may leave the machine: requests to other hosts are recorded by the test and cut off here.
            await context.RouteAsync(url => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme.StartsWith("http", StringComparison.Ordinal)
                                            && (uri.Host != baseAddress.Host || uri.Port != baseAddress.Port),
                route => route.AbortAsync("blockedbyclient"));
            await context.AddCookiesAsync([new Cookie { Name = ThemeChoice.CookieName, Value = theme, Url = baseAddress.ToString() }]);
            await Chromium.SignInAsync(context, name, admin);
            _contexts[(user, theme)] = context;
            return context;
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts.Values) await context.DisposeAsync();
        if (_chromium is { IsCompletedSuccessfully: true } launched) await launched.Result.DisposeAsync();
        _gate.Dispose();
    }
}
