using Bunit;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Calendar;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LeaseBoard.Tests.Features.Calendar;

/// <summary>
/// "Queue it" in the calendar's booking dialog and the queue panel under the lanes, on a real database; "now" is Monday
/// 30 Nov 2026 09:02 UTC, the viewer in UTC, Ana signed in. No placement pass runs here, so a queued entry stays waiting.
/// </summary>
public sealed class CalendarQueueTests : ComponentTestBase
{
    private IRenderedComponent<MudDialogProvider> _dialogs = default!;

    private async Task<IRenderedComponent<CalendarPage>> OpenDialogAsync(string lane, DateTime start, DateTime end)
    {
        Render<MudPopoverProvider>();
        _dialogs = Render<MudDialogProvider>();
        var page = Render<CalendarPage>();
        page.WaitForElement("[data-testid=calendar]");
        page.WaitForElement("[data-testid=queue-panel][data-loaded=true]");
        await page.InvokeAsync(() => page.Instance.OnDrawnAsync(lane, CalendarScriptData.Ms(start), CalendarScriptData.Ms(end)));
        _dialogs.WaitForElement("[data-testid=queue-form]");
        return page;
    }

    private async Task<List<QueueEntry>> EntriesAsync()
    {
        await using var db = Database.CreateDbContext();
        return await db.QueueEntries.AsNoTracking().ToListAsync();
    }

    [Fact]
    public async Task Queue_it_in_the_booking_dialog_queues_the_test_closes_with_a_sentence_and_the_panel_lists_it()
    {
        var page = await OpenDialogAsync("env-2", At(14), At(15));

        _dialogs.Find("[data-testid=dialog-mode-queue]").Click();
        _dialogs.Find("[data-testid=queue-title]").Input("Soak when free");
        _dialogs.Find("[data-testid=queue-spec]").Input("hours=1");
        _dialogs.Find("[data-testid=queue-duration]").Change("45");
        DateTimeFields.Type(_dialogs.Find, "queue-not-before", "2026-11-30T13:00");
        DateTimeFields.Type(_dialogs.Find, "queue-finish-by", "2026-11-30T18:00");
        _dialogs.Find("[data-testid=queue-submit]").Click();

        _dialogs.WaitForAssertion(() => Assert.Empty(_dialogs.FindAll("[data-testid=reservation-dialog]")));
        var entry = Assert.Single(await EntriesAsync());
        Assert.Equal(("Soak when free", "hours=1", TimeSpan.FromMinutes(45), TestActors.Ana.Id, QueueEntryState.Waiting),
            (entry.Title, entry.TestSpec, entry.Duration, entry.OwnerId, entry.State));
        Assert.Null(entry.AllowedEnvironments); // none picked: any environment
        Assert.Equal((At(13), At(18)), (entry.NotBeforeUtc, entry.MustFinishByUtc));
        page.WaitForAssertion(() => Assert.Equal("Queued 'Soak when free': it runs in the first gap that fits.", page.Find("[data-testid=calendar-status]").TextContent));
        page.WaitForAssertion(() => Assert.Equal("1", page.Find($"[data-testid=queue-entry-{entry.Id}] [data-testid=queue-position]").TextContent.Trim()));
        Assert.Empty(await ReservationsAsync());
    }

    [Fact]
    public async Task A_refused_queue_request_shows_the_reason_in_place_and_keeps_the_input()
    {
        await OpenDialogAsync("env-2", At(14), At(15));

        _dialogs.Find("[data-testid=dialog-mode-queue]").Click();
        _dialogs.Find("[data-testid=queue-title]").Input("Too tight");
        _dialogs.Find("[data-testid=queue-duration]").Change("60");
        DateTimeFields.Type(_dialogs.Find, "queue-finish-by", "2026-11-30T09:30"); // an hour's test cannot end by 09:30
        _dialogs.Find("[data-testid=queue-submit]").Click();

        var refusal = _dialogs.WaitForElement("[data-testid=queue-result]");
        Assert.Equal("Invalid", refusal.GetAttribute("data-outcome"));
        Assert.Contains("Must-finish-by", refusal.TextContent);
        Assert.Contains("cannot be met", refusal.TextContent);
        Assert.Single(_dialogs.FindAll("[data-testid=reservation-dialog]"));
        Assert.Equal("Too tight", _dialogs.Find("[data-testid=queue-title]").GetAttribute("value"));
        Assert.Equal("60", _dialogs.Find("[data-testid=queue-duration]").GetAttribute("value"));
        Assert.Equal("2026-11-30T09:30", DateTimeFields.ValueOf(_dialogs.Find, "queue-finish-by"));
        Assert.Empty(await EntriesAsync());
    }

    [Fact]
    public async Task A_booking_refused_because_the_slot_is_taken_offers_queue_it_instead_with_the_same_test()
    {
        var taken = await Services.GetRequiredService<BookingService>().BookAsync(
            new BookingRequest(Env(2).Id, At(14), TimeSpan.FromHours(1), "Bens load", TestKind.Load, "x"), TestActors.Ben);
        Assert.True(taken.Succeeded, taken.Message);
        await OpenDialogAsync("env-2", At(14), At(15));

        _dialogs.Find("[data-testid=booking-title]").Input("Chaos wherever");
        _dialogs.Find("[data-testid=booking-spec]").Input("chaos=1");
        _dialogs.Find("[data-testid=booking-submit]").Click();
        _dialogs.WaitForAssertion(() => Assert.Equal("conflict", _dialogs.Find("[data-testid=booking-result]").GetAttribute("data-outcome")));
        _dialogs.Find("[data-testid=booking-queue-instead]").Click();

        _dialogs.WaitForAssertion(() => Assert.Equal("Chaos wherever", _dialogs.Find("[data-testid=queue-title]").GetAttribute("value")));
        Assert.Equal("60", _dialogs.Find("[data-testid=queue-duration]").GetAttribute("value"));
        Assert.Equal("true", _dialogs.Find("[data-testid=dialog-mode-queue]").GetAttribute("aria-pressed"));
        _dialogs.Find("[data-testid=queue-submit]").Click();

        _dialogs.WaitForAssertion(() => Assert.Empty(_dialogs.FindAll("[data-testid=reservation-dialog]")));
        var entry = Assert.Single(await EntriesAsync());
        Assert.Equal(("Chaos wherever", "chaos=1", TimeSpan.FromHours(1)), (entry.Title, entry.TestSpec, entry.Duration));
        Assert.Equal(new[] { Env(2).Id }, entry.AllowedEnvironments!); // the environment the booking asked for
        Assert.Single(await ReservationsAsync()); // Ben's only
    }
}
