using Bunit;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Features.Queue;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LeaseBoard.Tests.Features.Queue;

/// <summary>
/// The queue panel (the calendar's and My reservations') on a real database; "now" is Monday 30 Nov 2026 09:02 UTC, the viewer
/// in UTC, Ana signed in. Nothing places entries here (no triggers run): what the panel shows is what the service lists.
/// </summary>
public sealed class QueuePanelTests : ComponentTestBase
{
    private QueueService Queue => Services.GetRequiredService<QueueService>();

    private static QueueRequest Request(string title, int minutes = 30, IReadOnlyList<int>? environments = null) =>
        new(title, TestKind.Soak, "duration=5", TimeSpan.FromMinutes(minutes), environments);

    private async Task<QueueEntryView> EnqueueAsync(string title, Actor owner, int minutes = 30, IReadOnlyList<int>? environments = null)
    {
        var result = await Queue.EnqueueAsync(Request(title, minutes, environments), owner);
        Assert.True(result.Outcome == QueueOutcome.Queued, result.Message);
        return result.Entry!;
    }

    /// <summary>Every environment busy from 09:05 to 11:00: the first gap is 11:10, after the changeover.</summary>
    private async Task FillThePoolAsync()
    {
        var booking = Services.GetRequiredService<BookingService>();
        foreach (var environment in Environments)
        {
            var result = await booking.BookAsync(new BookingRequest(environment.Id, At(9, 5), TimeSpan.FromMinutes(115), "Busy " + environment.Key, TestKind.Load, "x"), TestActors.Admin);
            Assert.True(result.Succeeded, result.Message);
        }
    }

    private IRenderedComponent<QueuePanel> RenderPanel(bool onlyMine = false)
    {
        var panel = Render<QueuePanel>(p => p.Add(x => x.OnlyMine, onlyMine));
        panel.WaitForElement("[data-testid=queue-panel][data-loaded=true]");
        return panel;
    }

    private static string Row(int id) => $"[data-testid=queue-entry-{id}]";

    [Fact]
    public void Queue_panel_with_nothing_waiting_says_the_queue_is_empty()
    {
        var panel = RenderPanel();

        Assert.Equal("The queue is empty.", panel.Find("[data-testid=queue-empty]").TextContent.Trim());
        Assert.Empty(panel.FindAll("[data-testid^=queue-entry-]"));
    }

    [Fact]
    public async Task Queue_panel_lists_waiting_entries_in_queue_order_with_position_owner_environments_and_estimated_start()
    {
        await FillThePoolAsync();
        var ana = await EnqueueAsync("Ana soak", TestActors.Ana, 30, [Env(2).Id, Env(4).Id]);
        Clock.Advance(TimeSpan.FromSeconds(1));
        var ben = await EnqueueAsync("Ben load", TestActors.Ben, 60);

        var panel = RenderPanel();

        var rows = panel.FindAll("[data-state=Waiting]");
        Assert.Equal([$"queue-entry-{ana.Id}", $"queue-entry-{ben.Id}"], rows.Select(r => r.GetAttribute("data-testid")));
        var first = panel.Find(Row(ana.Id));
        Assert.Equal("1", first.QuerySelector("[data-testid=queue-position]")!.TextContent.Trim());
        Assert.Contains("Ana", first.TextContent);
        Assert.Contains("30 minutes", first.TextContent);
        Assert.Contains("Env 2, Env 4", first.TextContent);
        Assert.Equal("Mon 30 Nov 11:10", first.QuerySelector("[data-testid=queue-estimate]")!.TextContent.Trim());
        var second = panel.Find(Row(ben.Id));
        Assert.Equal("2", second.QuerySelector("[data-testid=queue-position]")!.TextContent.Trim());
        Assert.Contains("Any", second.TextContent);
        Assert.Equal("Mon 30 Nov 11:10", second.QuerySelector("[data-testid=queue-estimate]")!.TextContent.Trim()); // another environment is free then too
        Assert.Equal("2 waiting", panel.Find("[data-testid=queue-count]").TextContent.Trim());
    }

    [Fact]
    public async Task Queue_panel_says_no_gap_within_the_horizon_when_an_entry_has_no_estimate()
    {
        // Env 1 taken by maintenance for three days: an entry allowed only there finds no gap within the two-day horizon.
        await using (var db = Database.CreateDbContext())
        {
            db.MaintenanceWindows.Add(new MaintenanceWindow { EnvironmentId = Env(1).Id, StartUtc = At(8), EndUtc = At(8, daysAhead: 3), Reason = "Rack move", CreatedBy = "local:root", CreatedUtc = At(8) });
            await db.SaveChangesAsync();
        }
        var entry = await EnqueueAsync("Env 1 only", TestActors.Ana, 30, [Env(1).Id]);

        var panel = RenderPanel();

        Assert.Equal("no gap within 2 days", panel.Find($"{Row(entry.Id)} [data-testid=queue-estimate]").TextContent.Trim());
    }

    [Fact]
    public async Task Queue_panel_shows_a_cancel_button_on_ones_own_entry_only_not_on_another_users()
    {
        await FillThePoolAsync();
        var mine = await EnqueueAsync("Ana soak", TestActors.Ana);
        var bens = await EnqueueAsync("Ben load", TestActors.Ben);

        var panel = RenderPanel();

        Assert.Single(panel.FindAll($"{Row(mine.Id)} [data-testid=queue-cancel]"));
        Assert.Single(panel.FindAll(Row(bens.Id)));
        Assert.Empty(panel.FindAll($"{Row(bens.Id)} [data-testid=queue-cancel]"));
    }

    [Fact]
    public async Task Queue_panel_gives_an_admin_the_cancel_button_on_every_entry()
    {
        await FillThePoolAsync();
        var anas = await EnqueueAsync("Ana soak", TestActors.Ana);
        var bens = await EnqueueAsync("Ben load", TestActors.Ben);
        SignInAs(TestActors.Admin);
        // Roles set after the claims rebuild the test principal without them: set the id again (as AdminComponentTests do).
        Auth.SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, TestActors.Admin.Id));

        var panel = RenderPanel();

        Assert.Single(panel.FindAll($"{Row(anas.Id)} [data-testid=queue-cancel]"));
        Assert.Single(panel.FindAll($"{Row(bens.Id)} [data-testid=queue-cancel]"));
    }

    [Fact]
    public async Task Queue_panel_cancel_asks_for_confirmation_and_keep_it_leaves_the_entry_waiting()
    {
        await FillThePoolAsync();
        var entry = await EnqueueAsync("Ana soak", TestActors.Ana);
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var panel = RenderPanel();

        panel.Find($"{Row(entry.Id)} [data-testid=queue-cancel]").Click();
        Assert.Contains("Cancel queued test 'Ana soak'", dialogs.WaitForElement(".mud-message-box").TextContent);
        dialogs.FindAll(".mud-message-box button").Single(b => b.TextContent.Contains("Keep it")).Click();
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll(".mud-message-box")));

        Assert.Equal(QueueEntryState.Waiting, (await StoredAsync(entry.Id)).State);
        Assert.Single(panel.FindAll($"{Row(entry.Id)}[data-state=Waiting]"));
    }

    [Fact]
    public async Task Queue_panel_cancel_confirmed_cancels_the_entry_and_shows_it_as_recently_finished()
    {
        await FillThePoolAsync();
        var entry = await EnqueueAsync("Ana soak", TestActors.Ana);
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var panel = RenderPanel();

        panel.Find($"{Row(entry.Id)} [data-testid=queue-cancel]").Click();
        dialogs.WaitForElements(".mud-message-box button").Single(b => b.TextContent.Contains("Cancel queued test")).Click();

        panel.WaitForAssertion(() => Assert.Single(panel.FindAll($"{Row(entry.Id)}[data-state=Cancelled]")));
        Assert.Equal(QueueEntryState.Cancelled, (await StoredAsync(entry.Id)).State);
        Assert.Contains("cancelled: Cancelled by its owner.", panel.Find($"{Row(entry.Id)} [data-testid=queue-outcome]").TextContent);
        Assert.NotNull(panel.Find("[data-testid=queue-empty]"));
    }

    [Fact]
    public async Task Queue_panel_updates_itself_on_a_queue_event_from_elsewhere()
    {
        await FillThePoolAsync();
        var panel = RenderPanel();
        Assert.NotNull(panel.Find("[data-testid=queue-empty]"));

        // Written straight to the database, then announced: only the event can tell the panel.
        int id;
        await using (var db = Database.CreateDbContext())
        {
            var entry = new QueueEntry { OwnerId = TestActors.Ben.Id, OwnerName = "Ben", Title = "From the API", TestKind = TestKind.Load, TestSpec = "x",
                Duration = TimeSpan.FromMinutes(20), CreatedUtc = Now, UpdatedUtc = Now };
            db.QueueEntries.Add(entry);
            await db.SaveChangesAsync();
            id = entry.Id;
        }
        Services.GetRequiredService<BoardEvents>().Publish(new QueueChanged(id, TestActors.Ben.Id, QueueEntryState.Waiting));

        panel.WaitForAssertion(() => Assert.Equal("1", panel.Find($"{Row(id)} [data-testid=queue-position]").TextContent.Trim()));
        Assert.Empty(panel.FindAll("[data-testid=queue-empty]"));
    }

    [Fact]
    public async Task Queue_panel_on_my_reservations_lists_only_my_entries_with_their_place_in_the_whole_queue_and_my_placed_one()
    {
        await FillThePoolAsync();
        var bens = await EnqueueAsync("Ben load", TestActors.Ben);
        Clock.Advance(TimeSpan.FromSeconds(1));
        var mine = await EnqueueAsync("Ana soak", TestActors.Ana);
        var placed = await EnqueueAsync("Ana placed", TestActors.Ana);
        await using (var db = Database.CreateDbContext())
            await db.QueueEntries.Where(e => e.Id == placed.Id).ExecuteUpdateAsync(s => s.SetProperty(e => e.State, QueueEntryState.Placed)
                .SetProperty(e => e.ReservationId, 4242).SetProperty(e => e.PlacedUtc, At(9, 2)).SetProperty(e => e.UpdatedUtc, At(9, 2)));

        var panel = RenderPanel(onlyMine: true);

        Assert.Empty(panel.FindAll(Row(bens.Id)));
        Assert.Equal("2", panel.Find($"{Row(mine.Id)} [data-testid=queue-position]").TextContent.Trim());
        Assert.Equal("placed Mon 30 Nov 09:02 as reservation 4242", panel.Find($"{Row(placed.Id)} [data-testid=queue-outcome]").TextContent.Trim());
    }

    [Fact]
    public async Task My_reservations_shows_my_queued_tests_below_my_reservations_with_cancel()
    {
        Services.AddSingleton<LeaseBoard.Features.Tokens.ApiTokenService>();
        await FillThePoolAsync();
        var mine = await EnqueueAsync("Ana soak", TestActors.Ana);
        var bens = await EnqueueAsync("Ben load", TestActors.Ben);

        var page = Render<MyReservationsPage>();

        page.WaitForElement("[data-testid=queue-panel][data-loaded=true]");
        Assert.Equal("My queued tests", page.Find("[data-testid=queue-panel] h2").TextContent.Trim());
        Assert.Equal("Mon 30 Nov 11:10", page.Find($"{Row(mine.Id)} [data-testid=queue-estimate]").TextContent.Trim());
        Assert.Single(page.FindAll($"{Row(mine.Id)} [data-testid=queue-cancel]"));
        Assert.Empty(page.FindAll(Row(bens.Id)));
    }

    private async Task<QueueEntry> StoredAsync(int id)
    {
        await using var db = Database.CreateDbContext();
        return await db.QueueEntries.AsNoTracking().SingleAsync(e => e.Id == id);
    }
}
