using LeaseBoard.Domain;
using LeaseBoard.Features.Framework;
using LeaseBoard.Tests.TestSupport;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Features.Leases.Crash;

/// <summary>Two app instances on one database and one simulated framework state, both running their job servers.</summary>
[Trait("Category", "Crash")]
public sealed class TwoInstancesTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_instances_polling_one_lease_keep_one_run_that_is_never_lost()
    {
        await using var crash = CrashTestApp.Create(FrameworkDriver.Simulated, output);
        // One after the other: both migrate the database at start-up.
        var a = await crash.StartAsync("app-a", loadTestHooks: true);
        var b = await crash.StartAsync("app-b", loadTestHooks: true);
        var apiA = await crash.ApiAsync(a);
        var apiB = await crash.ApiAsync(b);
        var booked = await apiA.BookAsync(CrashTestApp.LeaseEndingSoon("two instances", "duration=10"));
        await CrashSteps.WhileRunningAsync(apiA, a, booked.Id, r => r.Run is { State: TestRunState.Running }, TimeSpan.FromSeconds(45), "the run is Running");
        var run = Assert.Single(await crash.RunsAsync(booked.Id));

        // Each instance polls open runs every 5 s: three rounds each.
        await CrashSteps.HoldsForAsync(TimeSpan.FromSeconds(16), async () =>
        {
            foreach (var (api, name) in new[] { (apiA, a.Name), (apiB, b.Name) })
            {
                if (CrashSteps.WentWrong(await api.ReservationAsync(booked.Id)) is { } wrong) return $"{name} shows {wrong}\n{b.Describe("app-b")}";
            }
            var runs = await crash.RunsAsync(booked.Id);
            if (runs is not [{ } only] || only.Id != run.Id || only.FrameworkRunId != run.FrameworkRunId)
                return $"expected only run #{run.Id} ({run.FrameworkRunId}), found {string.Join("; ", runs.Select(r => $"#{r.Id} {r.State} {r.FrameworkRunId}"))}\n{b.Describe("app-b")}";
            return null;
        }, a, "one run, never lost, while both instances poll");

        foreach (var (api, app) in new[] { (apiA, a), (apiB, b) })
        {
            var active = (await api.ActiveRunsAsync()).Where(r => r.EnvironmentKey == CrashTestApp.Environment).Select(r => r.RunId).ToList();
            Assert.True(active.SequenceEqual([run.FrameworkRunId!]),
                app.Describe($"{app.Name}'s framework lists [{string.Join(", ", active)}] on {CrashTestApp.Environment}, expected only {run.FrameworkRunId}"));
        }
    }
}
