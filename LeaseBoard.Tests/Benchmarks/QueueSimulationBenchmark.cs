using System.Globalization;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Queue;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Benchmarks;

/// <summary>
/// Issue 16's simulation: one day (fake clock) on 5 environments, 40 random bookings whose tests use 85 % of their slots
/// on average (so most end early), and 30 tests queued at random times — once without the queue and once with it, on the
/// real lease engine, QueuePlacer and SlotGuard on SQLite (<see cref="LeaseHarness"/>: jobs as they fall due, the
/// supervise beat every 30 s, each ending with a queue pass). Prints pool busy time, queue waits, and the idle gap
/// from an early end to the next queued start on that environment.
/// </summary>
[Trait("Category", "Benchmark")]
public sealed class QueueSimulationBenchmark(ITestOutputHelper output)
{
    private const int Environments = 5, Bookings = 40, Queued = 30;
    private static readonly TimeSpan Day = TimeSpan.FromHours(24);

    [BenchmarkFact]
    public async Task One_simulated_day_with_and_without_the_queue()
    {
        var without = await SimulateAsync(withQueue: false);
        var with = await SimulateAsync(withQueue: true);
        output.WriteLine($"pool busy (runs) without the queue: {without.BusyHours:0.0} h of {Environments * Day.TotalHours:0} h = {without.BusyHours / (Environments * Day.TotalHours):P1}");
        output.WriteLine($"pool busy (runs) with the queue:    {with.BusyHours:0.0} h of {Environments * Day.TotalHours:0} h = {with.BusyHours / (Environments * Day.TotalHours):P1}"
                         + $"  (+{with.BusyHours - without.BusyHours:0.0} h)");
        output.WriteLine($"bookings made: {without.Booked} / {with.Booked}; queued placed {with.Placed} of {Queued}, expired {with.Expired}, still waiting {with.Waiting}");
        if (with.Waits.Count > 0) output.WriteLine("queue wait (queued → placed): " + Figures.Summary(with.Waits, " min"));
        if (with.Gaps.Count > 0) output.WriteLine("idle gap, early end → next queued run's start on that environment: " + Figures.Summary(with.Gaps, " s"));
        output.WriteLine($"simulation wall time: {without.Elapsed.TotalSeconds:0.0} s / {with.Elapsed.TotalSeconds:0.0} s");
        Assert.True(with.BusyHours > without.BusyHours, "the queue used idle time");
        Assert.Empty(with.Overlaps);
    }

    private sealed record Outcome(double BusyHours, int Booked, int Placed, int Expired, int Waiting, List<double> Waits, List<double> Gaps, List<(int, int)> Overlaps, TimeSpan Elapsed);

    private async Task<Outcome> SimulateAsync(bool withQueue)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await using var h = await LeaseHarness.CreateAsync(new()
        {
            ["Booking:MaxUpcomingPerUser"] = "100", ["Booking:MaxHoursPerWeekPerUser"] = "1000", ["Queue:MaxWaitingPerUser"] = "100",
        }, environments: Environments);
        var random = new Random(16);
        var dayStart = h.Now;
        var dayEnd = dayStart + Day;

        // 40 bookings made up front at random starts through the day; each test uses 70–100 % of its slot (85 % on average).
        var booked = 0;
        for (var attempt = 0; booked < Bookings && attempt < 2000; attempt++)
        {
            var minutes = 5 * random.Next(6, 37); // 30 min – 3 h
            var start = BookingRules.CeilToGrid(dayStart.AddMinutes(10 + random.Next(0, 21 * 60)), new BookingOptions());
            var used = minutes * (0.70 + 0.30 * random.NextDouble());
            var result = await h.Booking.BookAsync(new BookingRequest(null, start, TimeSpan.FromMinutes(minutes), $"Booked {booked}", TestKind.Load,
                "duration=" + used.ToString("0.0", CultureInfo.InvariantCulture)), new Actor($"local:person-{booked % 10}", $"Person {booked % 10}", false));
            if (result.Succeeded) booked++;
        }

        // 30 queued tests arriving at random times in the first 20 hours, from four people, 20–120 min, each using 85 % of its slot.
        var arrivals = Enumerable.Range(0, Queued).Select(i => (At: dayStart.AddMinutes(random.Next(0, 20 * 60)), Minutes: 5 * random.Next(4, 25), Owner: i % 4))
            .OrderBy(a => a.At).ToList();
        if (withQueue)
        {
            foreach (var arrival in arrivals)
            {
                if (arrival.At > h.Now) await h.AdvanceAsync(arrival.At - h.Now);
                var queued = await h.Queue.EnqueueAsync(new QueueRequest($"Queued {arrival.Owner}", TestKind.Soak,
                    "duration=" + (arrival.Minutes * 0.85).ToString("0.0", CultureInfo.InvariantCulture), TimeSpan.FromMinutes(arrival.Minutes)),
                    new Actor($"local:queue-{arrival.Owner}", $"Queue {arrival.Owner}", false));
                Assert.True(queued.Succeeded, queued.Message);
                await h.Placer.RunPassAsync(); // what the app's trigger on a new entry does
            }
        }
        await h.AdvanceAsync(dayEnd - h.Now);

        await using var db = h.Database.CreateDbContext();
        var runs = await db.TestRuns.AsNoTracking().Select(r => new { r.ReservationId, r.EnvironmentId, r.StartedUtc, r.EndedUtc }).ToListAsync();
        var busy = runs.Sum(r => ((r.EndedUtc ?? dayEnd) > dayEnd ? dayEnd : r.EndedUtc ?? dayEnd).Subtract(r.StartedUtc < dayStart ? dayStart : r.StartedUtc).TotalHours);
        var entries = await db.QueueEntries.AsNoTracking().ToListAsync();
        var reservations = await db.Reservations.AsNoTracking().ToListAsync();
        var waits = entries.Where(e => e.PlacedUtc is not null).Select(e => (e.PlacedUtc!.Value - e.CreatedUtc).TotalMinutes).ToList();

        // For each queued run: the lease before it on its environment; when that one ended early, the idle time up to the queued run's start.
        var gaps = new List<double>();
        foreach (var queuedRun in runs.Where(r => reservations.Single(x => x.Id == r.ReservationId).QueueEntryId is not null))
        {
            var previous = reservations.Where(x => x.EnvironmentId == queuedRun.EnvironmentId && x.EndedUtc is not null && x.EndedUtc <= queuedRun.StartedUtc)
                .MaxBy(x => x.EndedUtc);
            if (previous is not null && previous.EndedUtc < previous.EndUtc && previous.EndUtc > queuedRun.StartedUtc)
                gaps.Add((queuedRun.StartedUtc - previous.EndedUtc!.Value).TotalSeconds);
        }
        var overlaps = await OverlapCheck.FindOverlappingPairsAsync(h.Database, TimeSpan.FromMinutes(10));
        return new Outcome(busy, booked, entries.Count(e => e.State == QueueEntryState.Placed), entries.Count(e => e.State == QueueEntryState.Expired),
            entries.Count(e => e.State == QueueEntryState.Waiting), waits, gaps, [.. overlaps], watch.Elapsed);
    }
}
