using Bunit;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Calendar;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Features.Notifications;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.Features.Calendar;

/// <summary>
/// Open calendars render from the instance's one board snapshot: the database work of a board event does not grow
/// with the number of open pages, progress costs no query, and another user's notifications cost nothing at all.
/// "Now" is Monday 30 Nov 2026 09:02 UTC.
/// </summary>
public sealed class CalendarSnapshotTests : ComponentTestBase
{
    private int _commands;

    private BoardEvents Events => Services.GetRequiredService<BoardEvents>();
    private BoardSnapshot Board => Services.GetRequiredService<BoardSnapshot>();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Database.Commands.AfterCommand = _ => { Interlocked.Increment(ref _commands); return Task.CompletedTask; };
    }

    private List<IRenderedComponent<CalendarPage>> OpenCalendars(int count) => Enumerable.Range(0, count).Select(_ =>
    {
        var page = Render<CalendarPage>();
        page.WaitForElement("[data-testid=calendar]");
        return page;
    }).ToList();

    private async Task<Reservation> SaveAsync(ReservationBuilder builder)
    {
        var reservation = await builder.SaveAsync(Database);
        return reservation;
    }

    private async Task<(Reservation Reservation, TestRun Run)> RunningAsync(int env, DateTime? lastHeartbeatUtc, int progress = 10)
    {
        var reservation = await SaveAsync(new ReservationBuilder(Env(env).Id, At(8), At(11)).InState(ReservationState.Active).OwnedBy(TestActors.Ben).Titled("Long soak"));
        await using var db = Database.CreateDbContext();
        var run = new TestRun
        {
            ReservationId = reservation.Id, EnvironmentId = Env(env).Id, State = TestRunState.Running, StartedUtc = At(8),
            LastHeartbeatUtc = lastHeartbeatUtc, ProgressPercent = progress,
        };
        db.TestRuns.Add(run);
        await db.SaveChangesAsync();
        return (reservation, run);
    }

    [Fact]
    public async Task A_booking_seen_by_many_open_calendars_costs_one_query_set_not_one_per_page()
    {
        var pages = OpenCalendars(6);
        var loadsBefore = Board.Loads;
        var queue = Services.GetRequiredService<LeaseBoard.Features.Queue.QueueFeed>();
        var queueLoadsBefore = queue.Loads;
        var reservation = await SaveAsync(new ReservationBuilder(Env(3).Id, At(14), At(15)).OwnedBy(TestActors.Ben).Titled("Shared view"));
        Interlocked.Exchange(ref _commands, 0);

        Events.Publish(new ReservationChanged(reservation.Id, Env(3).Id, ReservationState.Scheduled, ReservationChange.Booked));

        foreach (var page in pages)
            page.WaitForAssertion(() => Assert.NotNull(page.Find($"[data-lane=env-3] [data-reservation-id='{reservation.Id}']")));
        // The queue panels under the calendars re-read the queue (a booking moves estimates): one list for all six too.
        await Eventually.TrueAsync(() => queue.Loads > queueLoadsBefore, TimeSpan.FromSeconds(10), "the queue panels' list re-read");
        Assert.Equal(1, Board.Loads - loadsBefore);
        Assert.Equal(1, queue.Loads - queueLoadsBefore);
        // Environments, reservations, maintenance, runs for the board; waiting, last served, environments, reservations,
        // maintenance, finished for the queue: once, for six pages.
        Assert.Equal(4 + 6, Volatile.Read(ref _commands));
    }

    [Fact]
    public async Task Another_users_notifications_reload_no_calendar()
    {
        OpenCalendars(3);
        await Board.CurrentAsync();
        Interlocked.Exchange(ref _commands, 0);

        Events.Publish(new NotificationsChanged("local:someone-else"));

        await Board.CurrentAsync(); // would load if the event had marked the snapshot stale
        Assert.Equal(0, Volatile.Read(ref _commands));
    }

    [Fact]
    public async Task Run_progress_is_patched_into_the_open_calendars_without_a_query()
    {
        var (reservation, _) = await RunningAsync(2, At(9));
        var pages = OpenCalendars(3);
        Interlocked.Exchange(ref _commands, 0);

        Events.Publish(new RunProgressed(reservation.Id, Env(2).Id, 57, TestRunState.Running));

        foreach (var page in pages)
            page.WaitForAssertion(() => Assert.Contains("57%", page.Find($"[data-lane=env-2] [data-reservation-id='{reservation.Id}']").TextContent));
        Assert.Equal(0, Volatile.Read(ref _commands));
    }

    [Fact]
    public async Task The_lane_header_shows_HUNG_for_a_run_silent_past_the_hang_timeout_and_nothing_for_a_fresh_one()
    {
        await RunningAsync(1, lastHeartbeatUtc: At(8, 30)); // 32 minutes silent, the timeout is 15
        await RunningAsync(2, lastHeartbeatUtc: At(9, 1));

        var page = OpenCalendars(1)[0];

        var alarm = page.Find("[data-testid=lane-header][data-env=env-1] [data-testid=lane-alarm]");
        Assert.Equal("HUNG", alarm.TextContent.Trim());
        Assert.Equal("hung", alarm.GetAttribute("data-severity"));
        Assert.Equal("Ben", page.Find("[data-testid=lane-header][data-env=env-1] [data-testid=lane-holder-owner]").TextContent.Trim());
        Assert.Empty(page.FindAll("[data-testid=lane-header][data-env=env-2] [data-testid=lane-alarm]"));

        // Silence grows with time alone: the minute tick turns the second lane hung too, with no event.
        Clock.Advance(TimeSpan.FromMinutes(15));
        page.WaitForAssertion(() => Assert.Equal("HUNG", page.Find("[data-testid=lane-header][data-env=env-2] [data-testid=lane-alarm]").TextContent.Trim()));
    }

    [Fact]
    public async Task Heartbeats_written_without_an_event_reach_the_lane_header_with_the_periodic_run_refresh()
    {
        var (_, run) = await RunningAsync(1, lastHeartbeatUtc: At(8, 30));
        var page = OpenCalendars(1)[0];
        Assert.Equal("HUNG", page.Find("[data-testid=lane-header][data-env=env-1] [data-testid=lane-alarm]").TextContent.Trim());

        // The engine's supervision records a heartbeat without announcing it (only progress is announced).
        await using (var db = Database.CreateDbContext())
        {
            var saved = await db.TestRuns.FindAsync(run.Id);
            saved!.LastHeartbeatUtc = Now;
            await db.SaveChangesAsync();
        }
        Clock.Advance(BoardSnapshot.RunRefresh);

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=lane-header][data-env=env-1] [data-testid=lane-alarm]")));
    }

    [Fact]
    public async Task The_lane_header_says_an_environment_whose_stop_failed_needs_attention()
    {
        await using (var db = Database.CreateDbContext())
        {
            var environment = await db.Environments.FindAsync(Env(4).Id);
            environment!.State = EnvironmentState.Quarantined;
            environment.QuarantineReason = $"{TestEnvironment.NeedsAttentionPrefix} the stop of the last run failed.";
            await db.SaveChangesAsync();
        }

        var page = OpenCalendars(1)[0];

        Assert.Equal("ATTENTION", page.Find("[data-testid=lane-header][data-env=env-4] [data-testid=lane-alarm]").TextContent.Trim());
    }
}
