using System.Diagnostics;
using System.Globalization;
using LeaseBoard.Domain;
using LeaseBoard.Features.Api;
using LeaseBoard.Features.Framework;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Benchmarks;

/// <summary>
/// The built app as a child process with N environments and N running leases, SIGKILLed and started again on the
/// same database and framework state: how long from the new process's start until every running lease is
/// adopted (its <c>run.adopted</c> audit entry written), on each driver.
/// </summary>
[Trait("Category", "Benchmark")]
public sealed class RestartAdoptionBenchmark(ITestOutputHelper output)
{
    [BenchmarkFact]
    public async Task Time_from_process_start_to_every_running_lease_adopted_with_5_and_50_running_leases()
    {
        foreach (var driver in new[] { FrameworkDriver.Simulated, FrameworkDriver.Process })
            foreach (var leases in new[] { 5, 50 })
            {
                var (ready, adopted) = await MeasureAsync(driver, leases);
                output.WriteLine($"{driver}, {leases} running leases: process start → ready {ready.TotalSeconds:0.00} s, → all {leases} adopted {adopted.TotalSeconds:0.00} s");
            }
    }

    private async Task<(TimeSpan Ready, TimeSpan Adopted)> MeasureAsync(FrameworkDriver driver, int leases)
    {
        var settings = new Dictionary<string, string>
        {
            ["LeaseBoard__Booking__MaxUpcomingPerUser"] = "1000",
            ["LeaseBoard__Booking__MaxHoursPerWeekPerUser"] = "168",
        };
        for (var i = 0; i < leases; i++)
        {
            settings[$"LeaseBoard__Environments__{i}__Key"] = $"env-{i + 1}";
            settings[$"LeaseBoard__Environments__{i}__Name"] = $"Env {i + 1}";
        }
        await using var crash = CrashTestApp.Create(driver, output, settings);
        var first = await crash.StartAsync("app-1");
        var api = await crash.ApiAsync(first);
        var now = DateTime.UtcNow;
        var start = new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, DateTimeKind.Utc).AddMinutes(-2)
            .ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        for (var i = 1; i <= leases; i++)
            await api.BookAsync(new CreateReservationRequest
            {
                Environment = $"env-{i}", Start = start, DurationMinutes = 30, Title = $"adoption {i}", TestKind = TestKind.Soak, TestSpec = "duration=60",
            });
        await Eventually.MatchesAsync(() => crash.QueryAsync(db => db.TestRuns.CountAsync(r => r.State == TestRunState.Running)),
            count => count == leases, TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(200), $"all {leases} leases run");

        await first.KillAsync();
        var clock = Stopwatch.StartNew();
        var second = await crash.StartAsync("app-2");
        var ready = clock.Elapsed;
        await Eventually.MatchesAsync(() => crash.QueryAsync(db => db.AuditEntries.CountAsync(a => a.Action == AuditActions.RunAdopted)),
            count => count == leases, TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(50), $"all {leases} runs adopted");
        var adopted = clock.Elapsed;
        Assert.Equal(0, await crash.QueryAsync(db => db.TestRuns.CountAsync(r => r.State == TestRunState.Lost)));
        Assert.Equal(leases, await crash.QueryAsync(db => db.TestRuns.CountAsync(r => r.State == TestRunState.Running)));
        if (driver == FrameworkDriver.Process) Assert.Equal(leases, crash.TestProcesses().Count);
        return (ready, adopted);
    }
}
