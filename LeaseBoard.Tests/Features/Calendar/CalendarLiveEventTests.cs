using Bunit;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Calendar;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Features.Notifications;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.Features.Calendar;

/// <summary>What an open calendar does with each kind of board event, counted in database commands.</summary>
public sealed class CalendarLiveEventTests : ComponentTestBase
{
    [Fact]
    public async Task Calendar_shows_run_progress_without_a_query_ignores_other_users_notifications_and_rereads_on_a_reservation_change()
    {
        var now = Clock.GetUtcNow().UtcDateTime;
        var start = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerHour, DateTimeKind.Utc);
        var running = await new ReservationBuilder(Env(1).Id, start, start.AddHours(2)).InState(ReservationState.Active).SaveAsync(Database);
        var page = Render<CalendarPage>();
        page.WaitForElement($"[data-reservation-id='{running.Id}']");
        var commands = 0;
        Database.Commands.AfterCommand = _ => { Interlocked.Increment(ref commands); return Task.CompletedTask; };
        var events = Services.GetRequiredService<BoardEvents>();

        events.Publish(new RunProgressed(running.Id, Env(1).Id, 41, TestRunState.Running));
        page.WaitForAssertion(() => Assert.Contains("41%", page.Find($"[data-reservation-id='{running.Id}']").TextContent));
        events.Publish(new NotificationsChanged("local:someone else"));
        events.Publish(new RunProgressed(running.Id + 1000, Env(2).Id, 7, TestRunState.Running)); // a run this view does not show
        // Events reach the page in order: once a later progress shows, any reaction to the two above has run
        // (on SQLite a query completes inside the handler's first step).
        events.Publish(new RunProgressed(running.Id, Env(1).Id, 42, TestRunState.Running));
        page.WaitForAssertion(() => Assert.Contains("42%", page.Find($"[data-reservation-id='{running.Id}']").TextContent));
        Assert.Equal(0, Volatile.Read(ref commands));

        events.Publish(new ReservationChanged(running.Id, Env(1).Id, ReservationState.Active, ReservationChange.Moved));
        page.WaitForAssertion(() => Assert.True(Volatile.Read(ref commands) > 0, "a reservation change re-reads the view"));
    }
}
