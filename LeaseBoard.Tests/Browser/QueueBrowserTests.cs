using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Queue;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;

namespace LeaseBoard.Tests.Browser;

/// <summary>
/// The queue in headless Chromium, on a host of its own (real clock, no job server): the pool starts full, so what is queued
/// waits, and no other test's bookings or placements share its environments. The host's queue triggers place on a cancellation.
/// </summary>
public sealed class QueueBrowserTests : IAsyncLifetime
{
    /// <summary>Set to a path to keep the screenshot of the panel with two entries (e.g. /tmp/queue-panel.png).</summary>
    private const string ScreenshotVariable = "LEASEBOARD_QUEUE_SCREENSHOT";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private LeaseBoardAppFactory _host = default!;
    private Uri _address = default!;

    public Task InitializeAsync()
    {
        _host = new LeaseBoardAppFactory();
        _address = _host.StartOnLoopbackPort();
        return Task.CompletedTask;
    }

    private T Service<T>() where T : notnull => _host.Services.GetRequiredService<T>();

    /// <summary>Every environment booked from the next grid point for three hours (by an admin: no per-user limits).</summary>
    private async Task<Dictionary<string, int>> FillThePoolAsync()
    {
        var rules = Service<IOptionsMonitor<BookingOptions>>().CurrentValue;
        var start = BookingRules.CeilToGrid(DateTime.UtcNow, rules);
        var booked = new Dictionary<string, int>();
        foreach (var environment in await Service<ReservationQueries>().EnvironmentsAsync())
        {
            var result = await Service<BookingService>().BookAsync(
                new BookingRequest(environment.Id, start, TimeSpan.FromHours(3), "Busy " + environment.Key, TestKind.Soak, "hours=3"), TestActors.Admin);
            Assert.True(result.Succeeded, result.Message);
            booked[environment.Key] = result.Reservation!.Id;
        }
        return booked;
    }

    [SkippableFact]
    public async Task A_test_queued_from_the_calendar_waits_in_the_panel_and_is_placed_on_the_calendar_when_a_reservation_is_cancelled()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var booked = await FillThePoolAsync();
        var context = await chromium.Browser.NewContextAsync(new()
        {
            BaseURL = _address.ToString(), TimezoneId = CalendarFlowTests.ViewerZone, Locale = "en-GB", ViewportSize = new() { Width = 1400, Height = 1000 },
        });
        await using var _ = context;
        context.SetDefaultTimeout((float)Timeout.TotalMilliseconds);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/signin?ReturnUrl=%2F");
        await page.GetByTestId("signin-name").FillAsync("Quinn Queue");
        await page.GetByTestId("signin-submit").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/");
        await CalendarFlowTests.WaitForCalendarAsync(page);
        var panel = page.GetByTestId("queue-panel");
        await Assertions.Expect(panel.GetByTestId("queue-empty")).ToHaveTextAsync("The queue is empty.");

        // Queue it from the calendar's dialog: 30 minutes, any environment.
        await page.GetByTestId("calendar-new").ClickAsync();
        var dialog = page.GetByTestId("reservation-dialog");
        await dialog.GetByTestId("dialog-mode-queue").ClickAsync();
        await dialog.GetByTestId("queue-title").FillAsync("Quinn's soak asap");
        await dialog.GetByTestId("queue-spec").FillAsync("duration=5");
        await dialog.GetByTestId("queue-duration").FillAsync("30");
        await dialog.GetByTestId("queue-duration").PressAsync("Tab");
        await dialog.GetByTestId("queue-submit").ClickAsync();
        await Assertions.Expect(dialog).ToBeHiddenAsync();

        var mine = (await Service<QueueService>().ListAsync(null)).Single(e => e.Title == "Quinn's soak asap");
        var row = page.GetByTestId($"queue-entry-{mine.Id}");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "Waiting");
        await Assertions.Expect(row.GetByTestId("queue-position")).ToHaveTextAsync("1");
        await Assertions.Expect(row.GetByTestId("queue-estimate")).Not.ToContainTextAsync("no gap"); // after the three hours
        await Assertions.Expect(row.GetByTestId("queue-cancel")).ToBeVisibleAsync();

        // Someone else queues through the service (as the API would): it appears live, second, without a cancel button for Quinn.
        var bens = await Service<QueueService>().EnqueueAsync(new QueueRequest("Ben's load, env-4 or env-5", TestKind.Load, "users=50", TimeSpan.FromHours(1),
            [.. (await Service<ReservationQueries>().EnvironmentsAsync()).Where(e => e.Key is "env-4" or "env-5").Select(e => e.Id)]), TestActors.Ben);
        Assert.True(bens.Succeeded, bens.Message);
        var bensRow = page.GetByTestId($"queue-entry-{bens.Entry!.Id}");
        await Assertions.Expect(bensRow.GetByTestId("queue-position")).ToHaveTextAsync("2");
        await Assertions.Expect(bensRow.GetByTestId("queue-cancel")).ToHaveCountAsync(0);
        if (Environment.GetEnvironmentVariable(ScreenshotVariable) is { Length: > 0 } path)
        {
            await panel.ScrollIntoViewIfNeededAsync();
            await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        }

        // A gap opens now on env-3: the queue's trigger places Quinn's entry (first in the queue) there, and the calendar shows it.
        var cancelled = await Service<BookingService>().CancelAsync(booked["env-3"], TestActors.Admin);
        Assert.True(cancelled.Succeeded, cancelled.Message);

        await Assertions.Expect(CalendarFlowTests.Block(page, "env-3", "Quinn's soak asap")).ToHaveCountAsync(1);
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "Placed");
        await Assertions.Expect(row.GetByTestId("queue-outcome")).ToContainTextAsync("as reservation");
        await Assertions.Expect(bensRow.GetByTestId("queue-position")).ToHaveTextAsync("1"); // Ben's waits for env-4 or env-5
        var placed = await Service<QueueService>().GetAsync(mine.Id, TestActors.Admin);
        Assert.Equal(QueueEntryState.Placed, placed.Entry!.State);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();
}
