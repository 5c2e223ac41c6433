using System.Diagnostics;
using Bunit;
using LeaseBoard.Domain;
using LeaseBoard.Features.Calendar;
using LeaseBoard.Tests.TestSupport;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Benchmarks;

/// <summary>Server render time of the calendar (query + render, as a circuit does it) in the 3-day and work-week views.</summary>
public abstract class CalendarRenderBenchmark(ITestOutputHelper output, int lanes, int perLane) : ComponentTestBase
{
    protected override int EnvironmentCount => lanes;

    protected async Task MeasureAsync()
    {
        // Monday 30 Nov 2026; each lane gets perLane 20-minute reservations spread over the work week.
        var monday = At(0);
        var step = TimeSpan.FromMinutes(5 * 24 * 60 / perLane / 5 * 5);
        await using (var db = Database.CreateDbContext())
        {
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            foreach (var environment in Environments)
                for (var i = 0; i < perLane; i++)
                {
                    var start = monday + step * i;
                    db.Reservations.Add(new ReservationBuilder(environment.Id, start, start.AddMinutes(20))
                        .OwnedBy(i % 2 == 0 ? TestActors.Ana : TestActors.Ben).Titled($"Run {i}").Build());
                }
            await db.SaveChangesAsync();
        }

        foreach (var view in new[] { CalendarView.ThreeDays, CalendarView.WorkWeek })
        {
            Services.GetRequiredService<NavigationManager>().NavigateTo($"/?day=2026-11-30&view={view}");
            var first = new List<double>();
            var reload = new List<double>();
            var blocks = 0;
            var lanesRendered = 0;
            for (var round = 0; round < 6; round++)
            {
                var clock = Stopwatch.StartNew();
                var page = Render<CalendarPage>();
                page.WaitForElement("[data-testid=calendar]", TimeSpan.FromSeconds(60));
                clock.Stop();
                // A board event as it comes: one new reservation in one lane, then the whole period is re-read.
                await using (var db = Database.CreateDbContext())
                {
                    var start = monday.AddDays(1).AddMinutes(7 + round);
                    db.Reservations.Add(new ReservationBuilder(Environments[0].Id, start, start.AddMinutes(1)).Titled($"Event {view} {round}").Build());
                    await db.SaveChangesAsync();
                }
                var again = Stopwatch.StartNew();
                await page.InvokeAsync(page.Instance.ReloadAsync);
                again.Stop();
                if (round > 0) // the first round warms up the JIT
                {
                    first.Add(clock.Elapsed.TotalMilliseconds);
                    reload.Add(again.Elapsed.TotalMilliseconds);
                }
                blocks = page.FindAll("[data-reservation-id]").Count;
                lanesRendered = page.FindAll("[data-lane]").Count;
                await DisposeComponentsAsync();
            }
            output.WriteLine($"{lanes} lanes x {perLane} reservations, {view} view, bUnit ({lanesRendered} lanes and {blocks} blocks in the render): " +
                             $"first render {Figures.Summary(first, " ms")}; re-render after a board event (one lane changed) {Figures.Summary(reload, " ms")}");
            output.WriteLine($"{lanes} lanes x {perLane} reservations, {view} view, Blazor's HtmlRenderer (whole page, all lanes, query included): {await HtmlRenderAsync(output)}");
            output.WriteLine($"{lanes} lanes x {perLane} reservations, {view} view, the reservations query alone: {await QueryAsync(view)}");
            Assert.True(blocks > 0);
        }
    }

    /// <summary>The page rendered to HTML by the framework's own renderer: no test-library overhead, no virtualisation (every lane).</summary>
    private async Task<string> HtmlRenderAsync(ITestOutputHelper output)
    {
        var times = new List<double>();
        var length = 0;
        for (var round = 0; round < 6; round++)
        {
            await using var renderer = new HtmlRenderer(Services, Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>());
            var clock = Stopwatch.StartNew();
            var html = await renderer.Dispatcher.InvokeAsync(async () =>
            {
                var root = await renderer.RenderComponentAsync<CalendarPage>();
                await root.QuiescenceTask;
                return root.ToHtmlString();
            });
            clock.Stop();
            length = html.Length;
            if (round > 0) times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return $"{Figures.Summary(times, " ms")} ({length / 1024} KiB of HTML)";
    }

    private async Task<string> QueryAsync(CalendarView view)
    {
        var geometry = new CalendarGeometry(new DateOnly(2026, 11, 30), view, TimeZoneInfo.Utc);
        var queries = Services.GetRequiredService<LeaseBoard.Features.Booking.ReservationQueries>();
        var times = new List<double>();
        for (var round = 0; round < 6; round++)
        {
            var clock = Stopwatch.StartNew();
            await queries.EnvironmentsAsync();
            await queries.BetweenAsync(geometry.StartUtc, geometry.EndUtc);
            clock.Stop();
            if (round > 0) times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return Figures.Summary(times, " ms");
    }
}

[Trait("Category", "Benchmark")]
public sealed class CalendarRenderBenchmark5x200(ITestOutputHelper output) : CalendarRenderBenchmark(output, lanes: 5, perLane: 200)
{
    [BenchmarkFact]
    public Task Calendar_render_time_5_lanes_x_200_reservations() => MeasureAsync();
}

[Trait("Category", "Benchmark")]
public sealed class CalendarRenderBenchmark200x20(ITestOutputHelper output) : CalendarRenderBenchmark(output, lanes: 200, perLane: 20)
{
    [BenchmarkFact]
    public Task Calendar_render_time_200_lanes_x_20_reservations() => MeasureAsync();
}
