using System.Diagnostics;
using Bunit;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Calendar;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Features.Notifications;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Benchmarks;

/// <summary>
/// What one board event costs the server with 1, 50 and 200 open calendars ("circuits": bUnit-rendered calendar pages
/// sharing one service provider, so one board snapshot, as the circuits of one instance do): database commands
/// (counted by an EF command interceptor), process CPU, and render time per circuit. 20 environments, 3 reservations
/// each today, one running test. Asserts only the target: commands per event do not grow with the number of pages.
/// </summary>
[Trait("Category", "Benchmark")]
public sealed class BoardEventCostBenchmark(ITestOutputHelper output) : ComponentTestBase
{
    private const int Events = 10;
    private int _commands;

    protected override int EnvironmentCount => 20;

    [BenchmarkFact]
    public async Task Database_commands_and_cpu_per_board_event_with_1_50_and_200_open_calendars()
    {
        Database.Commands.AfterCommand = _ => { Interlocked.Increment(ref _commands); return Task.CompletedTask; };
        await using (var db = Database.CreateDbContext())
        {
            foreach (var environment in Environments)
                for (var i = 0; i < 3; i++)
                    db.Reservations.Add(new ReservationBuilder(environment.Id, At(10 + 2 * i), At(11 + 2 * i)).OwnedBy(TestActors.Ben).Titled($"Run {i}").Build());
            await db.SaveChangesAsync();
        }
        var running = await new ReservationBuilder(Env(1).Id, At(8), At(12)).InState(ReservationState.Active).OwnedBy(TestActors.Ben).Titled("Soak").SaveAsync(Database);
        await using (var db = Database.CreateDbContext())
        {
            db.TestRuns.Add(new TestRun { ReservationId = running.Id, EnvironmentId = Env(1).Id, State = TestRunState.Running, StartedUtc = At(8), LastHeartbeatUtc = At(9) });
            await db.SaveChangesAsync();
        }

        var events = Services.GetRequiredService<BoardEvents>();
        var pages = new List<IRenderedComponent<CalendarPage>>();
        var perBooking = new Dictionary<int, (double Commands, double CpuMs, double WallMs)>();
        var rows = new List<string>();
        var progress = 0;
        var bookings = 0;
        foreach (var circuits in new[] { 1, 50, 200 })
        {
            while (pages.Count < circuits)
            {
                var page = Render<CalendarPage>();
                page.WaitForElement("[data-testid=calendar]", TimeSpan.FromSeconds(60));
                pages.Add(page);
            }
            foreach (var kind in new[] { "booking", "progress", "notification" })
            {
                var commands = new List<double>();
                var cpu = new List<double>();
                var wall = new List<double>();
                for (var round = 0; round <= Events; round++) // round 0 warms up
                {
                    BoardEvent boardEvent;
                    if (kind == "booking")
                    {
                        var start = At(13).AddMinutes(2 * bookings++);
                        var reservation = await new ReservationBuilder(Env(2 + bookings % 18).Id, start, start.AddMinutes(1)).OwnedBy(TestActors.Ben).Titled($"Event {bookings}").SaveAsync(Database);
                        boardEvent = new ReservationChanged(reservation.Id, reservation.EnvironmentId, ReservationState.Scheduled, ReservationChange.Booked);
                    }
                    else if (kind == "progress") boardEvent = new RunProgressed(running.Id, Env(1).Id, ++progress % 100, TestRunState.Running);
                    else boardEvent = new NotificationsChanged("local:someone-else");

                    var renders = pages.Select(p => p.RenderCount).ToArray();
                    Interlocked.Exchange(ref _commands, 0);
                    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                    var clock = Stopwatch.StartNew();
                    events.Publish(boardEvent);
                    if (kind == "notification") await Services.GetRequiredService<BoardSnapshot>().CurrentAsync();
                    else await Eventually.TrueAsync(() => pages.Select((p, i) => p.RenderCount > renders[i]).All(x => x), TimeSpan.FromSeconds(60), $"{circuits} calendars re-rendered after a {kind}");
                    clock.Stop();
                    var cpuAfter = Process.GetCurrentProcess().TotalProcessorTime;
                    if (round == 0) continue;
                    commands.Add(Volatile.Read(ref _commands));
                    cpu.Add((cpuAfter - cpuBefore).TotalMilliseconds);
                    wall.Add(clock.Elapsed.TotalMilliseconds);
                }
                var line = $"{circuits,3} open calendars, {kind,-12}: db commands/event {Figures.Summary(commands, "")}; server CPU/event {Figures.Summary(cpu, " ms")}; " +
                           $"wall time to every page re-rendered {Figures.Summary(wall, " ms")}; render per event per circuit (median wall/circuits) {wall.Order().ElementAt(wall.Count / 2) / circuits:0.###} ms";
                rows.Add(line);
                output.WriteLine(line);
                if (kind == "booking") perBooking[circuits] = (commands.Average(), cpu.Average(), wall.Average());
                if (kind != "booking") Assert.All(commands, c => Assert.Equal(0, c));
            }
        }
        // The target: the query set per event is the instance's, not the pages'.
        Assert.Equal(perBooking[1].Commands, perBooking[200].Commands);
    }
}
