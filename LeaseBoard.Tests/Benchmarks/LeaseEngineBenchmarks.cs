using System.Diagnostics;
using LeaseBoard.Domain;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Benchmarks;

[Trait("Category", "Benchmark")]
public sealed class LeaseEngineBenchmarks(ITestOutputHelper output)
{
    [BenchmarkFact]
    public async Task Hang_detection_delay_against_the_configured_timeout()
    {
        var delays = new List<double>();
        foreach (var round in new[] { 0, 7 })
        {
            var settings = new Dictionary<string, string?> { ["Leases:HangTimeout"] = "00:15:00" };
            for (var env = 1; env <= 5; env++) settings[$"Framework:Simulated:Faults:env-{env}:HangAtPercent"] = (env * 9 + round).ToString();
            await using var h = await LeaseHarness.CreateAsync(settings);
            var leases = new List<Reservation>();
            for (var env = 1; env <= 5; env++) leases.Add(await h.BookAsync(env, h.At(9, 5 + round % 5 * 5), TimeSpan.FromHours(3), actor: TestActors.Admin));
            await h.AdvanceUntilAsync(async () =>
            {
                foreach (var lease in leases)
                    if ((await h.ReservationAsync(lease.Id)).Runs.SingleOrDefault()?.StopReason != RunStopReason.Hung) return false;
                return true;
            }, TimeSpan.FromHours(3), "all hung");
            foreach (var lease in leases)
            {
                var run = (await h.ReservationAsync(lease.Id)).Runs.Single();
                delays.Add((run.StopRequestedUtc!.Value - run.LastProgressUtc!.Value).TotalSeconds);
            }
        }
        output.WriteLine($"Hang detection (timeout 900 s, supervise every 30 s), seconds from last progress to Hung: {Figures.Summary(delays, " s")}");
        Assert.All(delays, d => Assert.InRange(d, 900, 931));
    }

    [BenchmarkFact]
    public async Task Supervise_pass_cost_grows_with_active_work_not_with_history()
    {
        output.WriteLine($"5 environments, 5 running leases: {await MeasureAsync(environments: 5, upcomingEach: 4, history: 0, running: 5)}");
        output.WriteLine($"50 environments, 50 running leases: {await MeasureAsync(environments: 50, upcomingEach: 4, history: 0, running: 50)}");
        output.WriteLine($"1,000 environments x 20 upcoming, 20 running: {await MeasureAsync(environments: 1000, upcomingEach: 20, history: 0, running: 20)}");
        output.WriteLine($"1,000 environments x 20 upcoming, 20 running, + 200,000 finished reservations and 200,000 health samples: {await MeasureAsync(environments: 1000, upcomingEach: 20, history: 200_000, running: 20)}");
    }

    private async Task<string> MeasureAsync(int environments, int upcomingEach, int history, int running)
    {
        await using var h = await LeaseHarness.CreateAsync(environments: environments);
        var now = h.Now;
        await using (var db = h.Database.CreateDbContext())
        {
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            var envs = await db.Environments.ToListAsync();
            foreach (var e in envs) { e.LastHealthCheckUtc = now; e.Health = HealthStatus.Healthy; }
            await db.SaveChangesAsync();
            var batch = new List<Reservation>();
            foreach (var e in envs)
                for (var i = 0; i < upcomingEach; i++)
                    batch.Add(Reservation(e.Id, now.Date.AddDays(1 + i / 6).AddHours(i % 6 * 3 + 1), ReservationState.Scheduled));
            for (var i = 0; i < history; i++)
                batch.Add(Reservation(envs[i % envs.Count].Id, now.Date.AddDays(-1 - i / 2000).AddMinutes(i % 2000 % 40 * 30), ReservationState.Completed));
            foreach (var chunk in batch.Chunk(10_000)) { db.Reservations.AddRange(chunk); await db.SaveChangesAsync(); db.ChangeTracker.Clear(); }
            var samples = Enumerable.Range(0, history).Select(i => new HealthSample
            {
                EnvironmentId = envs[i % envs.Count].Id, AtUtc = now.AddSeconds(-i), Status = HealthStatus.Healthy, LatencyMs = 40,
            });
            foreach (var chunk in samples.Chunk(10_000)) { db.HealthSamples.AddRange(chunk); await db.SaveChangesAsync(); db.ChangeTracker.Clear(); }
        }
        var leases = new List<Reservation>();
        for (var i = 1; i <= running; i++) leases.Add(await h.BookAsync(i, h.At(9, 5), TimeSpan.FromHours(2), actor: TestActors.Admin));
        h.Clock.Advance(h.At(9, 5) - h.Now);
        await h.Supervisor.SuperviseAsync(CancellationToken.None); // starts the running leases
        await h.Supervisor.SuperviseAsync(CancellationToken.None); // warm-up

        var times = new List<double>();
        for (var i = 0; i < 7; i++)
        {
            h.Clock.Advance(TimeSpan.FromSeconds(30));
            var started = Stopwatch.GetTimestamp();
            var pass = await h.Supervisor.SuperviseAsync(CancellationToken.None);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Assert.Equal(running, pass.OpenRuns);
        }
        return Figures.Summary(times, " ms");
    }

    private static Reservation Reservation(int environmentId, DateTime startUtc, ReservationState state) => new()
    {
        EnvironmentId = environmentId, OwnerId = "local:bench", OwnerName = "Bench", Title = "Benchmark", TestKind = TestKind.Load,
        StartUtc = DateTime.SpecifyKind(startUtc, DateTimeKind.Utc), EndUtc = DateTime.SpecifyKind(startUtc.AddHours(1), DateTimeKind.Utc),
        State = state, CreatedUtc = startUtc, UpdatedUtc = startUtc,
    };
}
