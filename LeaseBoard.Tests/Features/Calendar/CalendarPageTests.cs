using Bunit;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Calendar;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LeaseBoard.Tests.Features.Calendar;

/// <summary>The calendar page rendered on a real database; "now" is Monday 30 Nov 2026 09:02 UTC and the viewer is in UTC (day view: 2 px a minute).</summary>
public sealed class CalendarPageTests : ComponentTestBase
{
    private BookingService Booking => Services.GetRequiredService<BookingService>();

    private async Task<int> BookAsync(Actor who, int env, DateTime start, int minutes, string title)
    {
        var result = await Booking.BookAsync(new BookingRequest(Env(env).Id, start, TimeSpan.FromMinutes(minutes), title, TestKind.Load, "users=10"), who);
        Assert.True(result.Succeeded, result.Message);
        return result.Reservation!.Id;
    }

    private IRenderedComponent<CalendarPage> RenderCalendar()
    {
        var page = Render<CalendarPage>();
        page.WaitForElement("[data-testid=calendar]");
        return page;
    }

    [Fact]
    public async Task Calendar_draws_a_90_minute_block_at_its_offset_and_width_with_its_buffer_after_it()
    {
        var id = await BookAsync(TestActors.Ana, 2, At(14), 90, "Checkout load");

        var page = RenderCalendar();

        var block = page.Find($"[data-lane=env-2] [data-reservation-id='{id}']");
        Assert.Contains("left: 1680px; width: 180px", block.GetAttribute("style"));
        Assert.Equal(("Scheduled", "true", "true"), (block.GetAttribute("data-state"), block.GetAttribute("data-mine"), block.GetAttribute("data-movable")));
        Assert.Contains("Checkout load", block.TextContent);
        Assert.Contains("14:00–15:30", block.TextContent);
        Assert.Equal("0", block.GetAttribute("tabindex"));
        Assert.Equal("Checkout load 14:00–15:30 · Ana, scheduled, Load, Env 2, Mon 30 Nov", block.GetAttribute("aria-label"));
        var buffer = page.Find($"[data-buffer-of='{id}']");
        Assert.Contains("left: 1860px; width: 20px", buffer.GetAttribute("style")); // 10 minutes at 2 px
        Assert.Empty(page.FindAll("[data-lane=env-1] [data-reservation-id]"));
    }

    [Fact]
    public async Task Calendar_a_short_block_names_its_owner_and_title_in_a_tip_shown_on_hover_and_focus_and_in_its_accessible_name()
    {
        var id = await BookAsync(TestActors.Ben, 3, At(13), 30, "Quick smoke check");

        var page = RenderCalendar();

        var block = page.Find($"[data-lane=env-3] [data-reservation-id='{id}']");
        Assert.Contains("width: 60px", block.GetAttribute("style")); // 30 minutes: too narrow for "13:00–13:30 · Ben"
        Assert.Equal("Quick smoke check 13:00–13:30 · Ben, scheduled, Load, Env 3, Mon 30 Nov", block.GetAttribute("aria-label"));
        // The tip follows the block (CSS shows it on :hover and :focus-visible of the block, outside its clipped box).
        var tip = page.Find($"[data-lane=env-3] [data-tip-of='{id}']");
        Assert.Equal(id.ToString(), block.NextElementSibling?.GetAttribute("data-tip-of"));
        Assert.Contains("cal-block-tip", tip.ClassList);
        Assert.Equal("true", tip.GetAttribute("aria-hidden")); // the block's accessible name says it already
        Assert.Equal("Quick smoke check", tip.QuerySelector(".cal-block-tip-title")!.TextContent.Trim());
        Assert.Equal("13:00–13:30 · Ben · scheduled", tip.QuerySelector(".cal-block-tip-sub")!.TextContent.Trim());
        Assert.Null(block.GetAttribute("title")); // no second, native tooltip on top of the tip
    }

    [Fact]
    public async Task Calendar_draws_maintenance_time_in_its_lane_and_hands_it_to_the_drag_module_as_taken_time()
    {
        await using (var db = Database.CreateDbContext())
        {
            db.MaintenanceWindows.Add(new MaintenanceWindow { EnvironmentId = Env(4).Id, StartUtc = At(10), EndUtc = At(12), Reason = "Firmware upgrade", CreatedBy = "local:root", CreatedUtc = At(8) });
            await db.SaveChangesAsync();
        }

        var page = RenderCalendar();

        var window = page.Find("[data-lane=env-4] [data-testid=calendar-maintenance]");
        Assert.Contains("left: 1200px; width: 240px", window.GetAttribute("style"));
        Assert.Contains("Firmware upgrade", window.TextContent);
        Assert.Equal("Maintenance on Env 4, Mon 30 Nov 10:00–12:00: Firmware upgrade", window.GetAttribute("aria-label"));
        Assert.Empty(page.FindAll("[data-lane=env-3] [data-testid=calendar-maintenance]"));

        var geometry = page.Instance.Geometry;
        var windows = new[] { (Env(4).Id, new MaintenanceRow(7, At(10), At(12), "Firmware upgrade")) }
            .ToLookup(w => w.Item1, w => w.Item2);
        var data = CalendarScriptData.From(geometry, [new EnvironmentRow(Env(4).Id, "env-4", "Env 4", "", EnvironmentState.Available, HealthStatus.Healthy, null)],
            Array.Empty<ReservationRow>().ToLookup(r => r.EnvironmentId), windows, "local:ana", false, At(9), Options);
        var block = Assert.Single(data.Lanes.Single().Blocks);
        Assert.Equal((-7, "Maintenance", false), (block.Id, block.State, block.Movable));
    }

    [Fact]
    public async Task Calendar_shades_the_past_and_draws_the_now_line_at_the_fake_clocks_time()
    {
        var page = RenderCalendar();

        var nowLeft = (9 * 60 + 2) * 2; // 09:02
        Assert.Contains($"width: {nowLeft}px", page.Find("[data-lane=env-1] [data-testid=calendar-past]").GetAttribute("style"));
        Assert.Contains($"left: {nowLeft}px", page.Find("[data-lane=env-1] [data-testid=calendar-now]").GetAttribute("style"));
        Assert.Equal(5, page.FindAll("[data-lane]").Count);
        Assert.Equal("Monday 30 November 2026", page.Find("[data-testid=calendar-title]").TextContent.Trim());
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Calendar_styles_blocks_by_state_and_others_blocks_are_not_movable()
    {
        await using (var db = Database.CreateDbContext())
        {
            db.Reservations.Add(new ReservationBuilder(Env(1).Id, At(8), At(10)).InState(ReservationState.Active).OwnedBy(TestActors.Ben).Titled("Running soak").Build());
            db.Reservations.Add(new ReservationBuilder(Env(2).Id, At(6), At(7)).InState(ReservationState.Failed).Titled("Broken run").Build());
            await db.SaveChangesAsync();
        }
        await BookAsync(TestActors.Ben, 3, At(13), 60, "Bens load");

        var page = RenderCalendar();

        var active = page.Find("[data-reservation-id]:not([data-state=Failed]):not([data-state=Scheduled])");
        Assert.Equal("Active", active.GetAttribute("data-state"));
        Assert.Contains("cal-state-active", active.ClassList);
        Assert.Contains("cal-state-failed", page.Find("[data-state=Failed]").ClassList);
        var bens = page.Find("[data-lane=env-3] [data-reservation-id]");
        Assert.Equal(("false", "false"), (bens.GetAttribute("data-mine"), bens.GetAttribute("data-movable")));
        Assert.Empty(bens.QuerySelectorAll("[data-edge]"));
        var failedId = page.Find("[data-state=Failed]").GetAttribute("data-reservation-id");
        Assert.DoesNotContain(page.FindAll("[data-buffer-of]"), b => b.GetAttribute("data-buffer-of") == failedId); // a finished run holds no changeover
    }

    [Fact]
    public async Task Calendar_lane_headers_show_state_and_health_and_a_quarantined_lane_is_closed()
    {
        await using (var db = Database.CreateDbContext())
        {
            await db.Environments.Where(e => e.Key == "env-3").ExecuteUpdateAsync(s => s
                .SetProperty(e => e.State, EnvironmentState.Quarantined).SetProperty(e => e.QuarantineReason, "disk failing")
                .SetProperty(e => e.Health, HealthStatus.Unhealthy));
        }

        var page = RenderCalendar();

        var header = page.Find("[data-testid=lane-header][data-env=env-3]");
        Assert.Equal("Quarantined", header.QuerySelector("[data-testid=env-state]")!.GetAttribute("data-state"));
        Assert.Equal("Unhealthy", header.QuerySelector("[data-testid=env-health]")!.GetAttribute("data-health"));
        Assert.Equal("false", page.Find("[data-lane=env-3]").GetAttribute("data-bookable"));
        var healthy = page.Find("[data-testid=lane-header][data-env=env-1]");
        Assert.Equal(("Available", "Healthy"), (healthy.QuerySelector("[data-testid=env-state]")!.GetAttribute("data-state"),
            healthy.QuerySelector("[data-testid=env-health]")!.GetAttribute("data-health")));
    }

    [Fact]
    public async Task Calendar_lane_header_shows_who_holds_the_environment_now_and_the_time_left_counting_down_with_the_minute_tick()
    {
        await using (var db = Database.CreateDbContext())
        {
            db.Reservations.Add(new ReservationBuilder(Env(1).Id, At(8), At(9, 43)).InState(ReservationState.Active).OwnedBy(TestActors.Ben).Titled("Morning soak").Build());
            await db.SaveChangesAsync();
        }
        await BookAsync(TestActors.Ana, 2, At(9, 30), 30, "Later today"); // scheduled, not held yet

        var page = RenderCalendar();

        var holder = page.Find("[data-testid=lane-header][data-env=env-1] [data-testid=lane-holder]");
        Assert.Equal("Ben", holder.QuerySelector("[data-testid=lane-holder-owner]")!.TextContent.Trim());
        Assert.Equal("41 min left", holder.QuerySelector("[data-testid=lane-holder-left]")!.TextContent.Trim()); // 09:02 to 09:43
        Assert.Equal("Held by Ben until 09:43: Morning soak", holder.GetAttribute("title"));
        Assert.Empty(page.FindAll("[data-testid=lane-header][data-env=env-2] [data-testid=lane-holder]")); // free now

        Clock.Advance(TimeSpan.FromMinutes(1)); // the page's tick

        page.WaitForAssertion(() => Assert.Equal("40 min left",
            page.Find("[data-testid=lane-header][data-env=env-1] [data-testid=lane-holder-left]").TextContent.Trim()));

        // Who holds it now does not depend on the day in view.
        await page.InvokeAsync(() => page.Instance.OnShortcutAsync("next"));
        Assert.Equal("Ben", page.Find("[data-testid=lane-header][data-env=env-1] [data-testid=lane-holder-owner]").TextContent.Trim());
    }

    [Theory]
    [InlineData(41, "41 min left")]
    [InlineData(60, "1 h left")]
    [InlineData(135, "2 h 15 min left")]
    [InlineData(0, "ending now")]
    [InlineData(-3, "ending now")]
    public void Calendar_lane_time_left_reads_in_minutes_then_hours(int minutes, string expected) =>
        Assert.Equal(expected, CalendarLane.TimeLeft(TimeSpan.FromMinutes(minutes)));

    [Fact]
    public async Task Calendar_lane_headers_show_the_environments_description_in_full_on_hover()
    {
        await using (var db = Database.CreateDbContext())
            await db.Environments.Where(e => e.Key == "env-3").ExecuteUpdateAsync(s => s.SetProperty(e => e.Description, "High memory, 64 GiB"));

        var page = RenderCalendar();

        var description = page.Find("[data-testid=lane-header][data-env=env-3] [data-testid=lane-description]");
        Assert.Equal("High memory, 64 GiB", description.TextContent.Trim());
        Assert.Equal("High memory, 64 GiB", description.GetAttribute("title")); // the header is narrow: the whole text on hover
        Assert.Empty(page.FindAll("[data-testid=lane-header][data-env=env-1] [data-testid=lane-description]"));
    }

    [Fact]
    public async Task Calendar_a_drag_result_opens_the_booking_dialog_prefilled_and_confirming_books_it()
    {
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var page = RenderCalendar();

        await page.InvokeAsync(() => page.Instance.OnDrawnAsync("env-2", CalendarScriptData.Ms(At(14)), CalendarScriptData.Ms(At(15, 30))));

        dialogs.WaitForElement("[data-testid=booking-form]");
        dialogs.WaitForAssertion(() => Assert.Equal("2026-11-30T14:00", DateTimeFields.ValueOf(dialogs.Find, "booking-start")));
        Assert.Equal("90", dialogs.Find("[data-testid=booking-duration]").GetAttribute("value"));
        Assert.Contains("Env 2", dialogs.Find("[data-testid=booking-environment]").TextContent);
        Assert.Contains("Env 2, Mon 30 Nov 14:00–15:30", dialogs.Find("[data-testid=reservation-dialog-summary]").TextContent);

        dialogs.Find("[data-testid=booking-title]").Input("Drawn chaos");
        dialogs.Find("[data-testid=booking-submit]").Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=booking-form]")));
        var stored = Assert.Single(await ReservationsAsync());
        Assert.Equal(("env-2", "Drawn chaos", At(14), At(15, 30)), (stored.EnvironmentKey, stored.Title, stored.StartUtc, stored.EndUtc));
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-lane=env-2] [data-reservation-id]")));
    }

    [Fact]
    public async Task Calendar_a_title_typed_in_the_booking_dialog_books_with_the_next_click()
    {
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var page = RenderCalendar();
        await page.InvokeAsync(() => page.Instance.OnDrawnAsync("env-3", CalendarScriptData.Ms(At(16)), CalendarScriptData.Ms(At(17))));
        dialogs.WaitForAssertion(() => Assert.Equal("2026-11-30T16:00", DateTimeFields.ValueOf(dialogs.Find, "booking-start")));

        dialogs.Find("[data-testid=booking-title]").Input("Typed chaos");
        dialogs.Find("[data-testid=booking-submit]").Click();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=booking-form]")));
        var stored = Assert.Single(await ReservationsAsync());
        Assert.Equal(("env-3", "Typed chaos"), (stored.EnvironmentKey, stored.Title));
    }

    [Fact]
    public async Task Calendar_a_move_of_anothers_block_is_refused_with_the_reason_and_ones_own_move_lands()
    {
        var bens = await BookAsync(TestActors.Ben, 1, At(13), 60, "Bens load");
        var mine = await BookAsync(TestActors.Ana, 1, At(15), 60, "Anas load");
        var page = RenderCalendar();

        var refused = await page.InvokeAsync(() => page.Instance.OnMovedAsync(bens, "env-2", CalendarScriptData.Ms(At(13)), CalendarScriptData.Ms(At(14))));
        var moved = await page.InvokeAsync(() => page.Instance.OnMovedAsync(mine, "env-4", CalendarScriptData.Ms(At(16)), CalendarScriptData.Ms(At(17))));

        Assert.False(refused.Ok);
        Assert.Equal("Can't drop: Only the owner or an admin can change this reservation.", refused.Message);
        Assert.True(moved.Ok, moved.Message);
        Assert.Equal("Moved Anas load to Env 4, Mon 30 Nov 16:00–17:00.", moved.Message);
        page.WaitForAssertion(() => Assert.Contains("left: 1920px", page.Find($"[data-lane=env-4] [data-reservation-id='{mine}']").GetAttribute("style")));
        Assert.Equal("Moved Anas load to Env 4, Mon 30 Nov 16:00–17:00.", page.Find("[data-testid=calendar-status]").TextContent);
    }

    [Fact]
    public async Task Calendar_shows_a_booking_by_someone_else_without_being_asked_to_reload()
    {
        var page = RenderCalendar();
        Assert.Empty(page.FindAll("[data-reservation-id]"));

        await BookAsync(TestActors.Ben, 5, At(11), 30, "Live one");

        page.WaitForAssertion(() => Assert.Contains("Live one", page.Find("[data-lane=env-5] [data-reservation-id]").TextContent));
    }

    [Fact]
    public async Task Calendar_keyboard_shortcuts_step_periods_switch_views_and_come_back_to_today()
    {
        var page = RenderCalendar();

        await page.InvokeAsync(() => page.Instance.OnShortcutAsync("next"));
        Assert.Equal("Tuesday 1 December 2026", page.Find("[data-testid=calendar-title]").TextContent.Trim());
        await page.InvokeAsync(() => page.Instance.OnShortcutAsync("view-3"));
        Assert.Equal("30 Nov – 4 Dec 2026", page.Find("[data-testid=calendar-title]").TextContent.Trim());
        Assert.Equal("WorkWeek", page.Find("[data-testid=calendar]").GetAttribute("data-view"));
        await page.InvokeAsync(() => page.Instance.OnShortcutAsync("next"));
        Assert.Equal("7 Dec – 11 Dec 2026", page.Find("[data-testid=calendar-title]").TextContent.Trim());
        await page.InvokeAsync(() => page.Instance.OnShortcutAsync("view-1"));
        await page.InvokeAsync(() => page.Instance.OnShortcutAsync("today"));
        Assert.Equal("Monday 30 November 2026", page.Find("[data-testid=calendar-title]").TextContent.Trim());
    }

    [Fact]
    public async Task Calendar_details_move_ones_own_reservation_without_dragging_and_extend_it()
    {
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var id = await BookAsync(TestActors.Ana, 2, At(14), 60, "Keyboard move");
        var page = RenderCalendar();

        page.Find($"[data-reservation-id='{id}']").KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Enter" });
        dialogs.WaitForElement("[data-testid=move-form]");
        DateTimeFields.Type(dialogs.Find, "move-start", "2026-11-30T16:30");
        dialogs.Find("[data-testid=move-duration]").Change("45");
        dialogs.Find("[data-testid=move-submit]").Click();

        page.WaitForAssertion(() => Assert.Equal("Moved Keyboard move to Env 2, Mon 30 Nov 16:30–17:15.", page.Find("[data-testid=calendar-status]").TextContent));
        page.Find($"[data-reservation-id='{id}']").Click();
        dialogs.WaitForElement("[data-testid=details-extend-30]").Click();
        page.WaitForAssertion(() => Assert.Equal("Extended Keyboard move by 30 minutes.", page.Find("[data-testid=calendar-status]").TextContent));
        var moved = await Services.GetRequiredService<ReservationQueries>().ByIdAsync(id);
        Assert.Equal((At(16, 30), At(17, 45)), (moved!.StartUtc, moved.EndUtc));
    }

    [Fact]
    public async Task Calendar_details_of_a_run_the_environment_failed_say_so_in_words()
    {
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var failed = await new ReservationBuilder(Env(3).Id, At(7), At(8)).InState(ReservationState.Failed).Titled("Broken soak").OwnedBy(TestActors.Ana).SaveAsync(Database);
        await using (var db = Database.CreateDbContext())
        {
            db.TestRuns.Add(new TestRun { ReservationId = failed.Id, EnvironmentId = failed.EnvironmentId, FencingToken = 1, State = TestRunState.Failed,
                StartedUtc = At(7), EndedUtc = At(7, 40), Attribution = RunAttribution.Infrastructure });
            await db.SaveChangesAsync();
        }
        var page = RenderCalendar();

        page.Find($"[data-reservation-id='{failed.Id}']").Click();

        var result = dialogs.WaitForElement("[data-testid=details-attribution]");
        Assert.Contains("environment failed", result.TextContent);
        Assert.Contains("does not count against your weekly hours", result.TextContent);
    }

    [Fact]
    public async Task Calendar_details_show_the_owner_and_cancel_after_confirmation()
    {
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var id = await BookAsync(TestActors.Ana, 2, At(14), 60, "To cancel");
        var page = RenderCalendar();

        page.Find($"[data-reservation-id='{id}']").Click();
        dialogs.WaitForElement("[data-testid=reservation-details]");
        Assert.Equal("Ana", dialogs.Find("[data-testid=details-owner]").TextContent);
        Assert.Equal("Mon 30 Nov 14:00–15:00", dialogs.Find("[data-testid=details-when]").TextContent);
        dialogs.Find("[data-testid=details-cancel]").Click();
        var yes = dialogs.WaitForElements(".mud-message-box button").Single(b => b.TextContent.Contains("Cancel reservation"));
        yes.Click();

        page.WaitForAssertion(() => Assert.Empty(page.FindAll($"[data-reservation-id='{id}']")));
        var cancelled = await Services.GetRequiredService<ReservationQueries>().ByIdAsync(id);
        Assert.Equal(ReservationState.Cancelled, cancelled!.State);
    }

    [Fact]
    public async Task Calendar_details_say_where_a_failed_readiness_check_moved_the_reservation_and_why()
    {
        const string moved = "Env 3 failed its readiness check 10 minutes before your slot (Health endpoint answered 503 Service Unavailable); "
                             + "your reservation moved to Env 5, same time.";
        Render<MudPopoverProvider>();
        var dialogs = Render<MudDialogProvider>();
        var id = await BookAsync(TestActors.Ana, 5, At(14), 60, "Moved soak");
        await using (var db = Database.CreateDbContext())
            await db.Reservations.Where(r => r.Id == id).ExecuteUpdateAsync(s => s.SetProperty(r => r.Outcome, moved));
        var page = RenderCalendar();

        page.Find($"[data-reservation-id='{id}']").Click();

        Assert.Equal(moved, dialogs.WaitForElement("[data-testid=details-outcome]").TextContent);
    }
}
