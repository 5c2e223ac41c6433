using LeaseBoard.Domain;
using LeaseBoard.Features.Framework;
using LeaseBoard.Tests.TestSupport;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Features.Leases.Crash;

/// <summary>The built app as a child process, SIGKILLed mid-lease and started again on the same database and framework state.</summary>
[Trait("Category", "Crash")]
public sealed class SimulatedCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_simulated_run_survives_a_SIGKILL_of_the_app_is_adopted_by_the_restarted_app_and_ends_at_its_deadline()
    {
        await using var crash = CrashTestApp.Create(FrameworkDriver.Simulated, output);
        var first = await crash.StartAsync("app-1");
        var api = await crash.ApiAsync(first);
        // duration=10: progress is elapsed / 10 minutes, so the run is still going when the slot ends.
        var booked = await api.BookAsync(CrashTestApp.LeaseEndingSoon("crash test: simulated", "duration=10"));
        await CrashSteps.WhileRunningAsync(api, first, booked.Id, r => r.Run is { State: TestRunState.Running, ProgressPercent: > 0 },
            TimeSpan.FromSeconds(45), "the run is Running with progress > 0");
        var before = (await crash.RunsAsync(booked.Id)).Single();

        await first.KillAsync();
        var second = await crash.StartAsync("app-2");
        api = await crash.ApiAsync(second);

        await CrashSteps.WhileRunningAsync(api, second, booked.Id, r => r.Run is { State: TestRunState.Running } run && run.ProgressPercent > before.ProgressPercent,
            TimeSpan.FromSeconds(45), $"the run goes on past {before.ProgressPercent}% after the restart");
        await CrashSteps.AssertAdoptedAsync(crash, second, booked.Id, before);

        var ended = await CrashSteps.WaitForEndAsync(api, second, booked);
        CrashSteps.AssertTimedOutAtTheDeadline(second, ended);
        await CrashSteps.WaitUntilAvailableAsync(api, second);
    }
}
