using LeaseBoard.Domain;
using LeaseBoard.Features.Framework;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Tests.Features.Leases;

/// <summary>Restarts, duplicate and late triggers: nothing lost, nothing doubled.</summary>
public sealed class LeaseRecoveryTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    [Fact]
    public async Task After_a_restart_running_leases_are_adopted_missed_starts_begin_overdue_runs_close_and_lost_schedules_return()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var running = await h.BookAsync(1, h.At(9, 5), TimeSpan.FromHours(3), spec: "duration=170");
        var overdue = await h.BookAsync(2, h.At(9, 5), TimeSpan.FromMinutes(30), spec: "duration=200");
        var missedButOpen = await h.BookAsync(3, h.At(9, 30), Hour);
        var missedEntirely = await h.BookAsync(4, h.At(9, 20), TimeSpan.FromMinutes(20));
        var future = await h.BookAsync(5, h.At(13, 0), Hour);
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(overdue.Id)).State == ReservationState.Active, TimeSpan.FromMinutes(5), "leases start");
        var runBefore = (await h.ReservationAsync(running.Id)).Runs.Single();

        // The app goes down at 09:10 and comes back at 09:50: no job, no supervise pass in between.
        await h.AdvanceAsync(TimeSpan.FromMinutes(4), supervise: true);
        h.Clock.Advance(TimeSpan.FromMinutes(40));
        var pass = await h.RestartAsync();

        Assert.True(pass.OpenRuns >= 2, $"reconcile looked at {pass.OpenRuns} open runs");
        var adopted = await h.ReservationAsync(running.Id);
        Assert.Equal(ReservationState.Active, adopted.State);
        Assert.Equal((runBefore.Id, runBefore.FrameworkRunId, TestRunState.Running), (adopted.Runs.Single().Id, adopted.Runs.Single().FrameworkRunId, adopted.Runs.Single().State));
        Assert.InRange(adopted.Runs.Single().ProgressPercent, 20, 30); // progress read again after the gap
        var adoption = Assert.Single(await h.AuditAsync(running.Id), a => a.Action == AuditActions.RunAdopted);
        Assert.Contains($"Run {runBefore.FrameworkRunId} on env-1 adopted after restart", adoption.Details);
        Assert.DoesNotContain(await h.AuditAsync(), a => a.Details.Contains("lost track", StringComparison.OrdinalIgnoreCase));

        var closed = await h.ReservationAsync(overdue.Id);
        Assert.Equal(ReservationState.TimedOut, closed.State);

        var late = await h.ReservationAsync(missedButOpen.Id);
        Assert.Equal(ReservationState.Active, late.State);
        Assert.InRange(late.Runs.Single().StartedUtc, h.Now.AddSeconds(-5), h.Now);

        var missed = await h.ReservationAsync(missedEntirely.Id);
        Assert.Equal(ReservationState.Failed, missed.State);
        Assert.Empty(missed.Runs);
        Assert.StartsWith("Missed", missed.Outcome);

        // The new app's job storage was empty: the future lease got its start and deadline jobs back.
        Assert.Contains(h.Jobs.All, j => j.Kind == "start" && j.Argument == future.Id && j.DueUtc == h.At(13, 0));
        Assert.Contains(h.Jobs.All, j => j.Kind == "deadline" && j.Argument == future.Id && j.DueUtc == h.At(14, 0));
        Assert.Contains(h.Jobs.All, j => j.Kind == "deadline" && j.Argument == running.Id);

        // Nothing doubled: one run per lease, and the framework runs only what the database knows.
        await using var db = h.Database.CreateDbContext();
        Assert.Equal(3, await db.TestRuns.CountAsync()); // running, overdue, missedButOpen
        var active = await h.Framework.ListActiveRunsAsync(CancellationToken.None);
        Assert.True(active.Count == 2, string.Join(", ", active));
    }

    [Fact]
    public async Task A_lease_started_late_after_a_restart_gets_its_deadline_job_back_which_ends_it_at_its_end()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var late = await h.BookAsync(1, h.At(9, 30), Hour, spec: "duration=200"); // runs longer than its slot: only the deadline ends it

        // The app goes down at 09:10 and comes back at 09:40: its start and deadline jobs are gone with the job storage.
        await h.AdvanceAsync(TimeSpan.FromMinutes(8));
        h.Clock.Advance(TimeSpan.FromMinutes(30));
        await h.RestartAsync();

        var started = await h.ReservationAsync(late.Id);
        Assert.Equal(ReservationState.Active, started.State);
        var deadline = Assert.Single(h.Jobs.All, j => j.Kind == "deadline" && j.Argument == late.Id && !j.Deleted);
        Assert.Equal((h.At(10, 30), deadline.Id), (deadline.DueUtc, started.DeadlineJobId));

        // A lease started on time keeps the deadline job it was booked with: no second one.
        var onTime = await h.BookAsync(2, h.At(10, 0), TimeSpan.FromMinutes(20));
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(onTime.Id)).State == ReservationState.Active, TimeSpan.FromMinutes(25), "the on-time lease starts");
        Assert.Single(h.Jobs.All, j => j.Kind == "deadline" && j.Argument == onTime.Id);

        // No supervise pass and no run poll from here: the deadline job alone ends the late lease, at its end.
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(late.Id)).State != ReservationState.Active, TimeSpan.FromMinutes(45),
            "the deadline job ends the late lease", supervise: false);
        Assert.True(deadline.Ran);
        var ended = await h.ReservationAsync(late.Id);
        Assert.Equal(ReservationState.TimedOut, ended.State);
        Assert.InRange(ended.EndedUtc!.Value, h.At(10, 30), h.At(10, 30) + TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task A_run_the_framework_reports_without_a_lease_is_stopped_as_an_orphan()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var orphan = await h.Framework.StartRunAsync(new StartRunRequest("env-4", 999, 7, TestKind.Chaos, "", h.At(12, 0)), CancellationToken.None);

        var pass = await h.Supervisor.SuperviseAsync(CancellationToken.None);

        Assert.Equal(1, pass.Orphans);
        Assert.Equal(RunPhase.Failed, (await h.Framework.GetRunStatusAsync("env-4", orphan, CancellationToken.None)).Phase);
        Assert.Contains(await h.AuditAsync(), a => a.Action == AuditActions.RunOrphanStopped && a.Details.Contains(orphan));
    }

    [Fact]
    public async Task A_crash_after_the_framework_started_the_test_but_before_the_run_id_was_saved_leaves_one_run_after_the_restart()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var lease = await h.BookAsync(1, h.At(9, 5), Hour, spec: "duration=50");
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(lease.Id)).State == ReservationState.Active, TimeSpan.FromMinutes(5), "lease starts");
        var started = (await h.ReservationAsync(lease.Id)).Runs.Single();
        // The framework runs the test, but the database holds the run as the crashed app left it: starting, no run id,
        // its attempt claimed for the starting timeout.
        await using (var db = h.Database.CreateDbContext())
            await db.TestRuns.Where(r => r.Id == started.Id).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.State, TestRunState.Starting).SetProperty(r => r.FrameworkRunId, (string?)null)
                .SetProperty(r => r.NextActionUtc, h.Now + TimeSpan.FromMinutes(2)));
        h.Clock.Advance(TimeSpan.FromSeconds(20));

        await h.RestartAsync();

        var after = (await h.ReservationAsync(lease.Id)).Runs.Single();
        Assert.Equal((started.Id, started.FrameworkRunId, TestRunState.Running), (after.Id, after.FrameworkRunId, after.State));
        Assert.Equal([new ActiveRun("env-1", started.FrameworkRunId!)], await h.Framework.ListActiveRunsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_lease_claimed_between_the_supervise_pass_reads_keeps_its_test_and_its_environment()
    {
        // The start job claims env-1 right after each of the pass's commands in turn (one claim per pass):
        // whichever two reads it falls between, the pass must not take the fresh lease for a stranded one.
        var commands = 0;
        for (var claimAfter = 1; ; claimAfter++)
        {
            await using var again = await LeaseHarness.CreateAsync();
            var booked = await again.BookAsync(1, again.At(9, 5), Hour, spec: "duration=50");
            again.Clock.Advance(again.At(9, 5) - again.Now);
            var seen = 0;
            var claimed = false;
            again.Database.Commands.AfterCommand = async _ =>
            {
                if (claimed || ++seen != claimAfter) return;
                claimed = true;
                await again.Engine.StartLeaseAsync(booked.Id, CancellationToken.None);
            };
            await again.Supervisor.SuperviseAsync(CancellationToken.None);
            again.Database.Commands.AfterCommand = null;
            if (!claimed) break; // the pass sent fewer commands than claimAfter: every gap was tried
            commands = claimAfter;

            var environment = await again.EnvironmentAsync(1);
            var run = (await again.ReservationAsync(booked.Id)).Runs.Single();
            Assert.True((environment.State, run.State) == (EnvironmentState.Leased, TestRunState.Running),
                $"Claim after command {claimAfter}: environment {environment.State}, run {run.State} ({run.Detail})");
            Assert.Single(await again.Framework.ListActiveRunsAsync(CancellationToken.None));
            Assert.DoesNotContain(await again.AuditAsync(), a => a.Action == AuditActions.EnvironmentAvailable);
        }
        Assert.True(commands >= 3, $"the pass sent only {commands} commands");
    }

    [Fact]
    public async Task A_cleanup_whose_last_save_loses_to_a_health_probe_still_hands_the_environment_on()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var id = h.Env(1).Id;
        await using (var db = h.Database.CreateDbContext())
            await db.Environments.Where(e => e.Id == id).ExecuteUpdateAsync(s => s.SetProperty(e => e.State, EnvironmentState.CleaningUp));

        // A probe saves the environment between the cleanup's last read and its save (seen in CI: the lease ended on
        // the supervise beat). The cleanup's second read of the environment is that last read.
        var reads = 0;
        h.Database.Commands.AfterCommand = async sql =>
        {
            if (!sql.StartsWith("SELECT", StringComparison.Ordinal) || !sql.Contains("FROM \"Environments\"") || ++reads != 2) return;
            await using var other = h.Database.CreateDbContext();
            await other.Environments.Where(e => e.Id == id).ExecuteUpdateAsync(s => s.SetProperty(e => e.HealthLatencyMs, 41).SetProperty(e => e.Version, Guid.NewGuid()));
        };
        await h.DriveAsync(() => h.Care.CleanupAsync(id, CancellationToken.None));
        h.Database.Commands.AfterCommand = null;

        Assert.True(reads >= 2, $"the cleanup read the environment {reads} time(s)");
        Assert.Equal(EnvironmentState.Available, (await h.EnvironmentAsync(1)).State);
    }

    [Fact]
    public async Task A_hung_orphan_that_ignores_the_graceful_stop_is_force_stopped_after_the_grace_period()
    {
        await using var h = await LeaseHarness.CreateAsync(new() { ["Leases:StopGracePeriod"] = "00:01:00" });
        h.Framework.SetFaults("env-4", FaultProfile.None with { HangAtPercent = 0 });
        var orphan = await h.Framework.StartRunAsync(new StartRunRequest("env-4", 999, 7, TestKind.Chaos, "", h.At(12, 0)), CancellationToken.None);

        await h.Supervisor.SuperviseAsync(CancellationToken.None);
        Assert.Equal(RunPhase.Running, (await h.Framework.GetRunStatusAsync("env-4", orphan, CancellationToken.None)).Phase);
        h.Clock.Advance(TimeSpan.FromSeconds(30));
        await h.Supervisor.SuperviseAsync(CancellationToken.None);
        Assert.Equal(RunPhase.Running, (await h.Framework.GetRunStatusAsync("env-4", orphan, CancellationToken.None)).Phase);
        h.Clock.Advance(TimeSpan.FromSeconds(30));
        await h.Supervisor.SuperviseAsync(CancellationToken.None);

        var status = await h.Framework.GetRunStatusAsync("env-4", orphan, CancellationToken.None);
        Assert.Equal((RunPhase.Failed, "Killed by a force stop."), (status.Phase, status.Detail));
        Assert.Equal(["asked it to stop", "force-stopped"], (await h.AuditAsync()).Where(a => a.Action == AuditActions.RunOrphanStopped)
            .Select(a => a.Details.EndsWith("force-stopped.") ? "force-stopped" : "asked it to stop").ToList());
    }

    [Fact]
    public async Task A_start_job_that_runs_twice_at_once_starts_exactly_one_run()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var lease = await h.BookAsync(1, h.At(9, 5), Hour);
        h.Clock.Advance(h.At(9, 5) - h.Now);

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var starts = Enumerable.Range(0, 4).Select(_ => Task.Run(async () => { await gate.Task; await h.Engine.StartLeaseAsync(lease.Id, CancellationToken.None); })).ToList();
        gate.SetResult();
        await Task.WhenAll(starts);

        var started = await h.ReservationAsync(lease.Id);
        Assert.Equal(ReservationState.Active, started.State);
        var run = Assert.Single(started.Runs);
        Assert.Equal((TestRunState.Running, 1L), (run.State, run.FencingToken));
        Assert.Single(await h.Framework.ListActiveRunsAsync(CancellationToken.None));
        Assert.Equal(1, (await h.EnvironmentAsync(1)).FenceCounter);
    }

    [Fact]
    public async Task A_late_start_job_does_nothing_and_a_stale_fencing_token_is_refused_by_the_framework()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var first = await h.BookAsync(1, h.At(9, 5), TimeSpan.FromMinutes(30), spec: "duration=10");
        var second = await h.BookAsync(1, h.At(9, 45), TimeSpan.FromMinutes(30), spec: "duration=20", actor: TestActors.Ben);
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(second.Id)).State == ReservationState.Active, TimeSpan.FromHours(1), "second lease starts");

        // The first lease's start job fires again, very late (Hangfire is at-least-once).
        await h.Engine.StartLeaseAsync(first.Id, CancellationToken.None);
        Assert.Single((await h.ReservationAsync(first.Id)).Runs);
        Assert.Equal(ReservationState.Completed, (await h.ReservationAsync(first.Id)).State);

        // A worker still holding the first lease's token cannot touch the environment any more.
        var stale = await Assert.ThrowsAsync<StaleFencingTokenException>(() => h.Framework.StartRunAsync(
            new StartRunRequest("env-1", first.Id, 1, TestKind.Load, "", h.At(9, 35)), CancellationToken.None));
        Assert.Equal("Fencing token 1 for env-1 is stale: token 2 was already issued. The request was refused.", stale.Message);
        await Assert.ThrowsAsync<StaleFencingTokenException>(() => h.Framework.ResetEnvironmentAsync("env-1", 1, CancellationToken.None));
        Assert.Equal(TestRunState.Running, (await h.ReservationAsync(second.Id)).Runs.Single().State);
    }

    [Fact]
    public async Task Releasing_a_running_lease_stops_the_test_and_hands_the_environment_on()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var lease = await h.BookAsync(1, h.At(9, 5), Hour);
        await h.AdvanceUntilAsync(async () => (await h.ReservationAsync(lease.Id)).State == ReservationState.Active, TimeSpan.FromMinutes(5), "lease starts");
        await h.AdvanceAsync(TimeSpan.FromMinutes(10));

        var released = await h.Booking.ReleaseAsync(lease.Id, TestActors.Ana);
        Assert.True(released.Succeeded, released.Message);
        await h.AdvanceUntilAsync(async () => (await h.EnvironmentAsync(1)).State == EnvironmentState.Available, TimeSpan.FromMinutes(2), "release and cleanup");

        var ended = await h.ReservationAsync(lease.Id);
        Assert.Equal((ReservationState.Completed, TestRunState.Killed), (ended.State, ended.Runs.Single().State));
        Assert.StartsWith("Released early by the owner", ended.Outcome);
        Assert.Empty(await h.Framework.ListActiveRunsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Cancelling_and_moving_a_reservation_replace_its_delayed_jobs()
    {
        await using var h = await LeaseHarness.CreateAsync();
        var lease = await h.BookAsync(1, h.At(12, 0), Hour);
        var firstStart = Assert.Single(h.Jobs.All, j => j.Kind == "start" && j.Argument == lease.Id);

        var moved = await h.Booking.MoveAsync(lease.Id, h.Env(2).Id, h.At(13, 0), h.At(14, 30), TestActors.Ana);
        Assert.True(moved.Succeeded, moved.Message);
        await h.SettledAsync(); // the jobs follow the commit, off the caller's path
        var pending = h.Jobs.All.Where(j => j.Argument == lease.Id && !j.Deleted).ToList();
        Assert.True(firstStart.Deleted || !h.Jobs.IsPending(firstStart.Id));
        Assert.Equal([("deadline", h.At(14, 30)), ("readiness", h.At(12, 50)), ("start", h.At(13, 0))], pending.Select(j => (j.Kind, j.DueUtc)).OrderBy(j => j.Kind).ToList());

        Assert.True((await h.Booking.CancelAsync(lease.Id, TestActors.Ana)).Succeeded);
        await h.SettledAsync();
        Assert.DoesNotContain(h.Jobs.All, j => j.Argument == lease.Id && !j.Deleted);
        await h.AdvanceAsync(TimeSpan.FromHours(5));
        Assert.Empty((await h.ReservationAsync(lease.Id)).Runs);
    }
}
