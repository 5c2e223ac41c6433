using System.Text.Json;
using LeaseBoard.Domain;
using LeaseBoard.Features.Api;
using LeaseBoard.Features.Framework;
using LeaseBoard.Tests.TestSupport;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Features.Leases.Crash;

/// <summary>
/// The app dies right after the framework's start returned and before the engine saved the run id (a test-only
/// hook SIGKILLs it there, see <see cref="CrashTestHooks"/>). The restarted app must end up with the one run the
/// framework started, not a second one.
/// </summary>
internal static class CrashAfterStart
{
    /// <summary>The engine re-asks the framework this soon after a start that never got its answer saved (default 2 minutes).</summary>
    public static readonly Dictionary<string, string> Settings = new() { ["LeaseBoard__Leases__StartingTimeout"] = "00:00:05" };

    public sealed record Outcome(AppProcess App, CrashTestApp.ApiClient Api, ReservationDto Booked, CrashTestHooks.KillRecord Killed, TestRun Run);

    /// <summary>Books, lets the hook kill the app, restarts it (hooks loaded for the active-runs endpoint, kill off) and waits until the run is Running.</summary>
    public static async Task<Outcome> CrashAndRestartAsync(CrashTestApp crash, Func<string>? context = null)
    {
        var record = Path.Combine(crash.Folder, "killed-before-run-id-saved.json");
        var first = await crash.StartAsync("app-1", loadTestHooks: true, new Dictionary<string, string> { [CrashTestHooks.KillBeforeRunIdSavedVariable] = record });
        var api = await crash.ApiAsync(first);
        var booked = await api.BookAsync(CrashTestApp.LeaseEndingSoon("crash test: after start", "duration=10"));
        await first.WaitForExitAsync(TimeSpan.FromSeconds(30), "kill itself right after the framework's start returned");
        Assert.True(File.Exists(record), first.Describe($"app-1 exited without the hook's record {record}: it did not die where it should"));
        var killed = JsonSerializer.Deserialize<CrashTestHooks.KillRecord>(File.ReadAllText(record))!;
        var saved = Assert.Single(await crash.RunsAsync(booked.Id));
        Assert.True(saved is { State: TestRunState.Starting, FrameworkRunId: null },
            first.Describe($"Before the restart the run should be Starting with no framework run id; it is {saved.State} with '{saved.FrameworkRunId}'"));

        var second = await crash.StartAsync("app-2", loadTestHooks: true);
        api = await crash.ApiAsync(second);
        await CrashSteps.WhileRunningAsync(api, second, booked.Id, r => r.Run is { State: TestRunState.Running }, TimeSpan.FromSeconds(45),
            "the run is Running after the restart", context);
        var runs = await crash.RunsAsync(booked.Id);
        Assert.True(runs is [{ } only] && only.Id == saved.Id, second.Describe($"Expected the one TestRun row #{saved.Id}, found {runs.Count}"));
        Assert.True(runs[0].FrameworkRunId == killed.FrameworkRunId,
            second.Describe($"The framework started run {killed.FrameworkRunId} before the crash; after the restart the lease records {runs[0].FrameworkRunId}: " +
                            "a second run was started instead of the first being adopted" + (context is null ? "" : $" ({context()})")));
        return new Outcome(second, api, booked, killed, runs[0]);
    }

    /// <summary>The framework lists exactly one active run on the environment: the lease's.</summary>
    public static async Task<string?> ActiveRunsProblemAsync(Outcome outcome)
    {
        var active = (await outcome.Api.ActiveRunsAsync()).Where(r => r.EnvironmentKey == CrashTestApp.Environment).ToList();
        return active is [{ } one] && one.RunId == outcome.Run.FrameworkRunId
            ? null
            : $"the framework lists [{string.Join(", ", active.Select(r => r.RunId))}] on {CrashTestApp.Environment}, expected only {outcome.Run.FrameworkRunId}";
    }
}

[Trait("Category", "Crash")]
public sealed class ProcessCrashAfterStartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_crash_between_the_process_start_and_saving_its_run_id_leaves_one_test_process_adopted_and_running()
    {
        await using var crash = CrashTestApp.Create(FrameworkDriver.Process, output, CrashAfterStart.Settings);
        var outcome = await CrashAfterStart.CrashAndRestartAsync(crash, crash.DescribeTestProcesses);

        var start = Assert.Single(crash.Starts());
        Assert.Equal((CrashTestApp.Environment, outcome.Killed.FencingToken), (start.Environment, start.Token));
        // One run for a while: no second start (the engine re-asks after StartingTimeout), no orphan stop of the first.
        await CrashSteps.HoldsForAsync(TimeSpan.FromSeconds(10), async () =>
        {
            if (!crash.TestProcesses().SequenceEqual([start.Pid]) || crash.Starts().Count != 1)
                return $"expected only the test process {start.Pid}; {crash.DescribeTestProcesses()}";
            if (CrashSteps.WentWrong(await outcome.Api.ReservationAsync(outcome.Booked.Id)) is { } wrong) return wrong;
            return await CrashAfterStart.ActiveRunsProblemAsync(outcome);
        }, outcome.App, "one test process, Running");
    }
}

[Trait("Category", "Crash")]
public sealed class SimulatedCrashAfterStartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_crash_between_the_simulated_start_and_saving_its_run_id_leaves_one_run_adopted_and_running()
    {
        await using var crash = CrashTestApp.Create(FrameworkDriver.Simulated, output, CrashAfterStart.Settings);
        var outcome = await CrashAfterStart.CrashAndRestartAsync(crash);

        await CrashSteps.HoldsForAsync(TimeSpan.FromSeconds(10), async () =>
            CrashSteps.WentWrong(await outcome.Api.ReservationAsync(outcome.Booked.Id)) ?? await CrashAfterStart.ActiveRunsProblemAsync(outcome),
            outcome.App, "one run, Running");
    }
}
