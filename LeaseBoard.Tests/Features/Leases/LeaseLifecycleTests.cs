using LeaseBoard.Domain;
using LeaseBoard.Tests.TestSupport;
using LeaseBoard.Features.Leases;

namespace LeaseBoard.Tests.Features.Leases;

/// <summary>The failure table of DESIGN.md, one test per row, with time driven by a fake clock.</summary>
public sealed class LeaseLifecycleTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    [Fact]
    public async Task A_test_that_finishes_early_releases_the_lease_cleans_up_and_shows_its_real_end()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var booked = await h.BookAsync(1, h.At(9, 5), Hour, spec: "duration=30");

        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(booked.Id)).State == ReservationState.Active, TimeSpan.FromMinutes(5), "lease starts");
        var started = await h.ReservationAsync(booked.Id);
        Assert.InRange(started.Runs.Single().StartedUtc, h.At(9, 5), h.At(9, 5).AddSeconds(5));
        Assert.Equal(EnvironmentState.Leased, (await h.EnvironmentAsync(1)).State);

        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(1)).State == EnvironmentState.Available && (await h.ReservationAsync(booked.Id)).State != ReservationState.Active,
            TimeSpan.FromMinutes(40), "run completes and the environment is cleaned");

        var done = await h.ReservationAsync(booked.Id);
        Assert.Equal(ReservationState.Completed, done.State);
        Assert.Equal(TestRunState.Succeeded, done.Runs.Single().State);
        Assert.Equal(100, done.Runs.Single().ProgressPercent);
        Assert.Equal(RunAttribution.Passed, done.Runs.Single().Attribution);
        Assert.InRange(done.EndedUtc!.Value, h.At(9, 35), h.At(9, 36)); // the real end, half an hour before the slot's
        Assert.Equal(h.At(10, 5), done.EndUtc);
        var actions = (await h.AuditAsync()).Select(a => a.Action).ToList();
        Assert.Contains(AuditActions.LeaseStarted, actions);
        Assert.Contains(AuditActions.LeaseEnded, actions);
        Assert.Contains(AuditActions.EnvironmentAvailable, actions);
    }

    [Fact]
    public async Task A_hung_test_is_stopped_force_stopped_and_cleaned_and_the_next_lease_starts_on_time()
    {
        await using var h = await LeaseHarness.CreateAsync(new() { ["Framework:Simulated:Faults:env-1:HangAtPercent"] = "40" });
        // 90-minute slot: the run (85 % of the slot) reaches 40 % after ~31 minutes and then goes quiet.
        var hung = await h.BookAsync(1, h.At(9, 5), TimeSpan.FromMinutes(90));
        var next = await h.BookAsync(1, h.At(11, 0), Hour, actor: TestActors.Ben);

        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(hung.Id)).Runs.SingleOrDefault()?.State == TestRunState.Stopping,
            TimeSpan.FromMinutes(60), "hang detected");
        var stopping = (await h.ReservationAsync(hung.Id)).Runs.Single();
        Assert.Equal(RunStopReason.Hung, stopping.StopReason);
        // Detected one hang timeout (15 min) after the last progress, within one supervise beat.
        Assert.InRange(stopping.StopRequestedUtc!.Value - stopping.LastProgressUtc!.Value, TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(15.5));

        // The hung test ignores the polite stop; after the grace period it is killed.
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(hung.Id)).State != ReservationState.Active, TimeSpan.FromMinutes(5), "force stop");
        var ended = await h.ReservationAsync(hung.Id);
        Assert.Equal((ReservationState.Failed, TestRunState.Hung, 2), (ended.State, ended.Runs.Single().State, ended.Runs.Single().StopAttempts));
        Assert.StartsWith("Hung: no progress for 15 minutes at 40%", ended.Outcome);
        Assert.Equal(RunAttribution.Hung, ended.Runs.Single().Attribution);
        var stopTook = ended.Runs.Single().EndedUtc!.Value - stopping.StopRequestedUtc!.Value;
        // The engine acts up to EarlyFireTolerance before a due time (Hangfire stores schedules in whole seconds).
        Assert.True(stopTook >= TimeSpan.FromMinutes(2) - LeaseEngine.EarlyFireTolerance && stopTook <= TimeSpan.FromMinutes(2.6), $"force stop after {stopTook}");

        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(1)).State == EnvironmentState.Available, TimeSpan.FromMinutes(1), "cleanup");
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(next.Id)).State == ReservationState.Active, TimeSpan.FromHours(2), "next lease starts");
        var nextRun = (await h.ReservationAsync(next.Id)).Runs.Single();
        Assert.InRange(nextRun.StartedUtc, h.At(11, 0), h.At(11, 0).AddSeconds(2));
        Assert.Equal(2, nextRun.FencingToken);
    }

    [Fact]
    public async Task A_test_that_overruns_its_slot_is_timed_out_at_the_slot_end_stopped_and_cleaned()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var overrun = await h.BookAsync(2, h.At(9, 5), Hour, spec: "duration=200");

        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(overrun.Id)).State == ReservationState.TimedOut, TimeSpan.FromMinutes(70), "timed out");
        var ended = await h.ReservationAsync(overrun.Id);
        var run = ended.Runs.Single();
        Assert.Equal((TestRunState.TimedOut, RunStopReason.Deadline), (run.State, run.StopReason));
        Assert.InRange(run.StopRequestedUtc!.Value, h.At(10, 5).AddSeconds(-2), h.At(10, 5).AddSeconds(2)); // the deadline job, not the 30-s backstop
        Assert.InRange(run.ProgressPercent, 25, 35);
        Assert.StartsWith("Timed out", ended.Outcome);
        Assert.Equal(RunAttribution.Overran, run.Attribution);
        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(2)).State == EnvironmentState.Available, TimeSpan.FromMinutes(1), "cleanup");
    }

    [Fact]
    public async Task When_stop_and_force_stop_go_unanswered_the_environment_is_quarantined_and_its_bookings_move_or_are_flagged()
    {
        await using var h = await LeaseHarness.CreateAsync(new() { ["Framework:Simulated:Faults:env-1:UnresponsiveStop"] = "true" });
        var stuck = await h.BookAsync(1, h.At(9, 5), Hour, spec: "duration=200");
        var movable = await h.BookAsync(1, h.At(12, 0), Hour, actor: TestActors.Ben);
        var blocked = await h.BookAsync(1, h.At(14, 0), Hour, actor: TestActors.Ben);
        for (var env = 2; env <= 5; env++) await h.BookAsync(env, h.At(14, 0), Hour, actor: TestActors.Admin);

        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(1)).State == EnvironmentState.Quarantined, TimeSpan.FromMinutes(70), "quarantine");

        var environment = await h.EnvironmentAsync(1);
        Assert.StartsWith("Needs attention: Run sim-env-1-1 could not be stopped", environment.QuarantineReason);
        var ended = await h.ReservationAsync(stuck.Id);
        Assert.Equal((ReservationState.TimedOut, TestRunState.Lost, RunAttribution.Infrastructure), (ended.State, ended.Runs.Single().State, ended.Runs.Single().Attribution));
        var moved = await h.ReservationAsync(movable.Id);
        Assert.Equal(("env-2", ReservationState.Scheduled, false), (moved.Environment!.Key, moved.State, moved.AtRisk));
        Assert.Contains("Moved from Env 1", moved.Outcome);
        var flagged = await h.ReservationAsync(blocked.Id);
        Assert.Equal(("env-1", true), (flagged.Environment!.Key, flagged.AtRisk));
        Assert.StartsWith("At risk: Env 1 is quarantined", flagged.Outcome);
        var actions = (await h.AuditAsync()).Select(a => a.Action).ToList();
        Assert.Contains(AuditActions.RunForceStopped, actions);
        Assert.Contains(AuditActions.EnvironmentQuarantined, actions);
        Assert.Contains(AuditActions.ReservationRelocated, actions);
        Assert.Contains(AuditActions.ReservationAtRisk, actions);
    }

    [Fact]
    public async Task A_slow_environment_is_degraded_and_a_failing_idle_one_becomes_unhealthy_and_is_quarantined()
    {
        await using var h = await LeaseHarness.CreateAsync(new()
        {
            ["Framework:Simulated:Faults:env-3:HealthLatencyMs"] = "2500",
            ["Framework:Simulated:Faults:env-4:FailHealth"] = "true",
            ["Leases:HealthCheckInterval"] = "00:01:00",
        });

        await h.AdvanceAsync(TimeSpan.FromSeconds(1));
        var slow = await h.EnvironmentAsync(3);
        Assert.Equal((HealthStatus.Degraded, EnvironmentState.Available), (slow.Health, slow.State));
        Assert.InRange(slow.HealthLatencyMs!.Value, 2500, 2600);
        Assert.Equal((HealthStatus.Degraded, 1), ((await h.EnvironmentAsync(4)).Health, (await h.EnvironmentAsync(4)).ConsecutiveHealthFailures));
        Assert.Equal(HealthStatus.Healthy, (await h.EnvironmentAsync(1)).Health);

        await h.AdvanceAsync(TimeSpan.FromMinutes(2.5)); // two more probes
        var sick = await h.EnvironmentAsync(4);
        Assert.Equal((HealthStatus.Unhealthy, EnvironmentState.Quarantined, 3), (sick.Health, sick.State, sick.ConsecutiveHealthFailures));
        Assert.StartsWith("Unhealthy: 3 health checks in a row failed", sick.QuarantineReason);
    }

    [Fact]
    public async Task An_unhealthy_leased_environment_is_flagged_and_quarantined_when_cleanup_finds_it_sick()
    {
        await using var h = await LeaseHarness.CreateAsync(new() { ["Leases:HealthCheckInterval"] = "00:01:00" });
        var lease = await h.BookAsync(5, h.At(9, 5), Hour, spec: "duration=20");
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(lease.Id)).State == ReservationState.Active, TimeSpan.FromMinutes(5), "lease starts");

        h.Framework.SetFaults("env-5", new() { FailHealth = true });
        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(5)).Health == HealthStatus.Unhealthy, TimeSpan.FromMinutes(5), "three failed probes");
        var flagged = await h.EnvironmentAsync(5);
        Assert.Equal((HealthStatus.Unhealthy, EnvironmentState.Leased), (flagged.Health, flagged.State)); // flagged, the test goes on

        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(5)).State == EnvironmentState.Quarantined, TimeSpan.FromMinutes(30), "quarantine after cleanup");
        Assert.Equal(ReservationState.Completed, (await h.ReservationAsync(lease.Id)).State);
        Assert.StartsWith("Unhealthy after cleanup", (await h.EnvironmentAsync(5)).QuarantineReason);
    }

    [Fact]
    public async Task A_failing_reset_quarantines_the_environment_with_the_reason()
    {
        await using var h = await LeaseHarness.CreateAsync(new() { ["Framework:Simulated:Faults:env-2:FailReset"] = "true" });
        var lease = await h.BookAsync(2, h.At(9, 5), Hour, spec: "duration=20");

        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(2)).State == EnvironmentState.Quarantined, TimeSpan.FromMinutes(40), "quarantine");

        Assert.Equal(ReservationState.Completed, (await h.ReservationAsync(lease.Id)).State);
        Assert.StartsWith("Reset failed: Reset of env-2 failed: the clean-up script exited with code 2", (await h.EnvironmentAsync(2)).QuarantineReason);
    }

    [Fact]
    public async Task A_start_that_keeps_failing_is_retried_with_back_off_then_the_run_fails_and_the_environment_is_cleaned()
    {
        await using var h = await LeaseHarness.CreateAsync(new() { ["Framework:Simulated:Faults:env-1:FailStart"] = "true", ["Leases:StartRetryDelay"] = "00:00:10" });
        var lease = await h.BookAsync(1, h.At(9, 5), Hour);

        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(lease.Id)).State == ReservationState.Failed, TimeSpan.FromMinutes(10), "start gives up");

        var failed = await h.ReservationAsync(lease.Id);
        var run = failed.Runs.Single();
        Assert.Equal((TestRunState.Failed, 3), (run.State, run.StartAttempts));
        Assert.Equal("The test could not be started after 3 attempt(s): The framework could not start the test on env-1: agent did not accept the job. " +
                     "Env 1 failed under your test; this run does not count against your weekly hours.", failed.Outcome);
        Assert.Equal(RunAttribution.Infrastructure, run.Attribution);
        // Attempts at 09:05, +10 s and +20 s more: the run ended ~30 s after the slot's start.
        Assert.InRange(run.EndedUtc!.Value, h.At(9, 5).AddSeconds(29), h.At(9, 5).AddSeconds(33));
        Assert.Equal(2, (await h.AuditAsync(lease.Id)).Count(a => a.Action == AuditActions.LeaseStartFailed));
        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(1)).State == EnvironmentState.Available, TimeSpan.FromMinutes(1), "cleanup");
    }
}
