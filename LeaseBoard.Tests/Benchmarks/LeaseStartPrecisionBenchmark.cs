using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Leases;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Benchmarks;

/// <summary>
/// Delay between a slot's start and its run's start over 50 leases on a real Hangfire server
/// (in-memory storage, default 1 s schedule polling). Runs alone: it starts a job server of its own.
/// </summary>
[Trait("Category", "Benchmark")]
public sealed class LeaseStartPrecisionBenchmark(ITestOutputHelper output)
{
    [BenchmarkFact]
    public async Task Lease_start_delay_over_50_leases_on_the_real_job_server()
    {
        const int leases = 50;
        var settings = new Dictionary<string, string?> { ["LeaseBoard:Leases:RunJobServer"] = "true" };
        for (var i = 0; i < leases; i++)
        {
            settings[$"LeaseBoard:Environments:{i}:Key"] = $"bench-{i + 1}";
            settings[$"LeaseBoard:Environments:{i}:Name"] = $"Bench {i + 1}";
        }
        await using var factory = new LeaseBoardAppFactory(settings: settings);
        _ = factory.Server;
        var dbs = factory.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>();
        var scheduler = factory.Services.GetRequiredService<LeaseScheduler>();
        var clock = factory.Services.GetRequiredService<TimeProvider>();

        List<int> environments;
        await using (var db = await dbs.CreateDbContextAsync())
            environments = await db.Environments.Where(e => e.Key.StartsWith("bench-")).OrderBy(e => e.SortOrder).Select(e => e.Id).ToListAsync();
        var t0 = clock.GetUtcNow().UtcDateTime.AddSeconds(5);
        var reservations = new List<Reservation>();
        for (var i = 0; i < leases; i++)
        {
            // Starts spread over 25 s at odd offsets, so they fall on every phase of the polling interval.
            var start = t0.AddMilliseconds(i * 517);
            var reservation = new ReservationBuilder(environments[i], start, start.AddMinutes(30)).OwnedBy(TestActors.Admin).Build();
            reservation.TestSpec = "duration=20";
            reservations.Add(reservation);
        }
        await using (var db = await dbs.CreateDbContextAsync())
        {
            db.Reservations.AddRange(reservations);
            await db.SaveChangesAsync();
        }
        foreach (var reservation in reservations) await scheduler.ReservationChangedAsync(reservation, CancellationToken.None);

        var runs = await Eventually.MatchesAsync(async () =>
        {
            await using var db = await dbs.CreateDbContextAsync();
            return await db.TestRuns.AsNoTracking().Include(r => r.Reservation).ToListAsync();
        }, r => r.Count == leases, TimeSpan.FromSeconds(60), "all leases started");

        var delays = runs.Select(r => (r.StartedUtc - r.Reservation!.StartUtc).TotalSeconds).ToList();
        output.WriteLine($"Lease start delay (slot start → run created), {leases} leases, SchedulePollingInterval 1 s: {Figures.Summary(delays, " s")}");
        Assert.All(delays, d => Assert.InRange(d, -LeaseEngine.EarlyFireTolerance.TotalSeconds, 5));
    }
}
