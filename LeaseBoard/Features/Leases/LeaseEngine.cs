using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Framework;
using LeaseBoard.Features.LiveUpdates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Leases;

/// <summary>
/// Starts, watches and ends leases. Every method takes ids, re-reads the database, acts only if the
/// state still calls for it and saves under the rows' concurrency tokens, so a trigger that fires
/// twice, late or concurrently does no harm. Framework calls happen outside transactions, with
/// timeouts (through <see cref="ResilientTestFramework"/>); a run is fenced by the token it started with.
/// </summary>
public sealed partial class LeaseEngine(
    IDbContextFactory<LeaseBoardDb> dbs,
    ITestFramework framework,
    EnvironmentCare care,
    ILeaseJobs jobs,
    IOptionsMonitor<LeaseOptions> options,
    TimeProvider clock,
    BoardEvents events,
    ILogger<LeaseEngine> logger)
{
    /// <summary>Hangfire stores schedules in whole seconds and may fire a little early.</summary>
    public static readonly TimeSpan EarlyFireTolerance = TimeSpan.FromSeconds(2);

    private LeaseOptions Options => options.CurrentValue;
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>The start trigger: claims the environment, issues a fencing token, creates the run and starts it.</summary>
    public async Task StartLeaseAsync(int reservationId, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var claimed = await TryClaimAsync(reservationId, ct);
            if (claimed is ClaimResult.Retry) continue;
            if (claimed is ClaimResult.Claimed) await AttemptStartAsync(reservationId, ct);
            return;
        }
    }

    private enum ClaimResult { Nothing, Claimed, Retry }

    private async Task<ClaimResult> TryClaimAsync(int reservationId, CancellationToken ct)
    {
        var now = Now;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var reservation = await db.Reservations.Include(r => r.Environment).FirstOrDefaultAsync(r => r.Id == reservationId, ct);
        if (reservation is not { State: ReservationState.Scheduled }) return ClaimResult.Nothing; // cancelled, already started or gone
        var environment = reservation.Environment!;

        if (now < reservation.StartUtc - EarlyFireTolerance)
        {
            // Fired early (or the reservation moved later): come back at the real start.
            reservation.StartJobId = jobs.ScheduleStart(reservation.Id, reservation.StartUtc);
            await db.SaveChangesAsync(ct);
            return ClaimResult.Nothing;
        }
        if (now >= reservation.EndUtc)
        {
            reservation.State = ReservationState.Failed;
            reservation.Outcome = "Missed: the slot ended before the test could start (the environment was busy or LeaseBoard was down).";
            reservation.EndedUtc = now;
            Audit(db, AuditActions.LeaseMissed, reservation, reservation.Outcome);
            return await SaveAsync(db, ct, () => Publish(reservation, "missed")) ? ClaimResult.Nothing : ClaimResult.Retry;
        }
        if (!environment.IsBookable)
        {
            reservation.State = ReservationState.Failed;
            reservation.Outcome = $"Not started: {environment.Name} is {environment.State.ToString().ToLowerInvariant()} ({environment.QuarantineReason ?? "out of service"}) and no other environment took the slot.";
            reservation.EndedUtc = now;
            Audit(db, AuditActions.LeaseMissed, reservation, reservation.Outcome);
            return await SaveAsync(db, ct, () => Publish(reservation, "missed")) ? ClaimResult.Nothing : ClaimResult.Retry;
        }
        if (environment.State != EnvironmentState.Available)
        {
            // The previous lease is still being stopped or cleaned: wait for it (cleanup also starts due leases).
            LogWaiting(reservation.Id, environment.Key, environment.State);
            jobs.ScheduleRunCheck(reservation.Id, now + TimeSpan.FromSeconds(15));
            return ClaimResult.Nothing;
        }

        environment.FenceCounter++;
        environment.State = EnvironmentState.Leased;
        environment.StateSinceUtc = now;
        reservation.State = ReservationState.Active;
        reservation.UpdatedUtc = now;
        reservation.Outcome = null;
        db.TestRuns.Add(new TestRun
        {
            ReservationId = reservation.Id, EnvironmentId = environment.Id, FencingToken = environment.FenceCounter,
            State = TestRunState.Starting, StartedUtc = now, NextActionUtc = now,
        });
        Audit(db, AuditActions.LeaseStarted, reservation, $"Lease of {environment.Key} started with fencing token {environment.FenceCounter}.");
        if (!await SaveAsync(db, ct, () => { Publish(reservation, "started"); PublishEnvironment(environment); }))
            return ClaimResult.Retry;
        LogClaimed(reservation.Id, environment.Key, environment.FenceCounter);
        return ClaimResult.Claimed;
    }

    /// <summary>One start attempt of the reservation's run; failures back off and, after the last attempt, fail the lease.</summary>
    private async Task AttemptStartAsync(int reservationId, CancellationToken ct)
    {
        var now = Now;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var run = await OpenRunAsync(db, reservationId, ct);
        if (run is not { State: TestRunState.Starting } || run.NextActionUtc > now + EarlyFireTolerance) return;
        var reservation = run.Reservation!;
        var environment = reservation.Environment!;

        // Claim this attempt so a concurrent trigger does not make a second one.
        run.StartAttempts++;
        run.NextActionUtc = now + Options.StartingTimeout;
        if (!await SaveAsync(db, ct)) return;

        string frameworkRunId;
        try
        {
            frameworkRunId = await framework.StartRunAsync(new StartRunRequest(
                environment.Key, reservation.Id, run.FencingToken, reservation.TestKind, reservation.TestSpec, reservation.EndUtc), ct);
        }
        catch (TestFrameworkException e)
        {
            LogStartFailed(e, reservation.Id, environment.Key, run.StartAttempts);
            if (run.StartAttempts >= Options.MaxStartAttempts || e is StaleFencingTokenException)
            {
                await FinishRunAsync(db, run, TestRunState.Failed, ReservationState.Failed,
                    $"The test could not be started after {run.StartAttempts} attempt(s): {e.Message}", ct);
                return;
            }
            var delay = Options.StartRetryDelay * Math.Pow(2, run.StartAttempts - 1);
            run.NextActionUtc = Now + delay;
            run.Detail = $"Start attempt {run.StartAttempts} failed: {e.Message} Next attempt in {delay.TotalSeconds:0} s.";
            Audit(db, AuditActions.LeaseStartFailed, reservation, run.Detail);
            if (await SaveAsync(db, ct, () => PublishRun(run)))
                jobs.ScheduleRunCheck(reservation.Id, run.NextActionUtc.Value);
            return;
        }

        if (await RecordStartedAsync(db, run, frameworkRunId, ct)) return;

        // The lease ended while the test was being started (an admin force-released it): do not leave the test running.
        LogStartRaced(reservation.Id, frameworkRunId);
        await TryStopAsync(environment.Key, frameworkRunId, force: true, ct);
    }

    /// <summary>
    /// Saves the framework's run id on the run. Another actor may have saved first: a second attempt with the same
    /// fencing token (another instance, or the reconcile after a restart) got the same run back from the idempotent
    /// framework — then all is well — or a poll touched the row, and the save is tried again on a fresh read.
    /// False only when the lease is no longer open for this run.
    /// </summary>
    private async Task<bool> RecordStartedAsync(LeaseBoardDb db, TestRun run, string frameworkRunId, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (run.FrameworkRunId == frameworkRunId && run.State != TestRunState.Starting) return true;
            if (run.State != TestRunState.Starting || run.FrameworkRunId is not null && run.FrameworkRunId != frameworkRunId) return false;
            run.FrameworkRunId = frameworkRunId;
            run.State = TestRunState.Running;
            run.LastHeartbeatUtc = run.LastProgressUtc = Now;
            run.NextActionUtc = null;
            run.Detail = null;
            if (await SaveAsync(db, ct, () => PublishRun(run))) return true;

            var fresh = await db.TestRuns.Include(r => r.Reservation).ThenInclude(r => r!.Environment).FirstOrDefaultAsync(r => r.Id == run.Id, ct);
            if (fresh is null || !fresh.State.IsOpen() || fresh.Reservation!.State != ReservationState.Active) return false;
            run = fresh;
        }
        return false;
    }

    /// <summary>The deadline trigger at the slot's end: a run still going is timed out.</summary>
    public async Task EnforceDeadlineAsync(int reservationId, CancellationToken ct)
    {
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var reservation = await db.Reservations.AsNoTracking().FirstOrDefaultAsync(r => r.Id == reservationId, ct);
            if (reservation is null) return;
            if (reservation.State == ReservationState.Scheduled)
            {
                await StartLeaseAsync(reservationId, ct); // marks it missed when the slot is over
                return;
            }
            if (Now < reservation.EndUtc - EarlyFireTolerance && reservation.State == ReservationState.Active)
            {
                await db.Reservations.Where(r => r.Id == reservationId)
                    .ExecuteUpdateAsync(s => s.SetProperty(r => r.DeadlineJobId, jobs.ScheduleDeadline(reservationId, reservation.EndUtc)), ct);
                return;
            }
        }
        await CheckRunAsync(reservationId, ct);
    }

    /// <summary>
    /// Looks at the reservation's open run and moves it on: retries a start, polls progress, detects a
    /// hang or the deadline, stops (graceful, then force), and finishes the lease.
    /// </summary>
    public async Task CheckRunAsync(int reservationId, CancellationToken ct)
    {
        var now = Now;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var run = await OpenRunAsync(db, reservationId, ct);
        if (run is null)
        {
            // A reservation waiting for its environment comes here too.
            var waiting = await db.Reservations.AsNoTracking().AnyAsync(r => r.Id == reservationId && r.State == ReservationState.Scheduled && r.StartUtc <= now + EarlyFireTolerance, ct);
            if (waiting) await StartLeaseAsync(reservationId, ct);
            return;
        }
        var reservation = run.Reservation!;

        switch (run.State)
        {
            case TestRunState.Starting when run.FrameworkRunId is null:
                if (reservation.State is ReservationState.Releasing or ReservationState.ForceReleased || now >= reservation.EndUtc)
                    await FinishRunAsync(db, run, TestRunState.Killed, reservation.State == ReservationState.Releasing ? ReservationState.Completed : ReservationState.TimedOut,
                        "Ended before the test could be started.", ct);
                else if (run.NextActionUtc <= now + EarlyFireTolerance)
                    await AttemptStartAsync(reservationId, ct);
                return;
            case TestRunState.Starting:
            case TestRunState.Running:
                if (reservation.State == ReservationState.ForceReleased)
                    await BeginStopAsync(db, run, RunStopReason.ForceReleased, ct);
                else if (reservation.State == ReservationState.Releasing)
                    await BeginStopAsync(db, run, RunStopReason.Released, ct);
                else if (now >= reservation.EndUtc - EarlyFireTolerance)
                    await BeginStopAsync(db, run, RunStopReason.Deadline, ct);
                else
                    await PollAsync(db, run, ct);
                return;
            case TestRunState.Stopping:
                await ContinueStopAsync(db, run, ct);
                return;
        }
    }

    /// <summary>
    /// An admin ends a lease now: the reservation becomes ForceReleased with the reason (under its
    /// concurrency token, so of two admins, or an admin and the lease's own end, exactly one wins),
    /// then its run is stopped graceful → force and the environment cleaned up as for any ended lease.
    /// </summary>
    public async Task<ForceReleaseResult> ForceReleaseAsync(int reservationId, string reason, string by, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var reservation = await db.Reservations.Include(r => r.Environment).FirstOrDefaultAsync(r => r.Id == reservationId, ct);
            if (reservation is null) return new ForceReleaseResult(false, $"Reservation {reservationId} does not exist.");
            if (reservation.State == ReservationState.ForceReleased)
                return new ForceReleaseResult(false, $"Already force-released: {reservation.Outcome}");
            if (reservation.State is not (ReservationState.Active or ReservationState.Releasing))
                return new ForceReleaseResult(false, $"Not running: the reservation is {reservation.State.ToString().ToLowerInvariant()}" +
                                                     (reservation.Outcome is null ? "." : $" ({reservation.Outcome})."));
            reservation.State = ReservationState.ForceReleased;
            reservation.Outcome = Rules.Truncate($"Force-released by {by}: {reason}");
            reservation.UpdatedUtc = Now;
            db.AuditEntries.Add(new AuditEntry
            {
                AtUtc = Now, Actor = by, Action = AuditActions.LeaseForceReleased, EnvironmentId = reservation.EnvironmentId,
                ReservationId = reservation.Id, Details = Rules.Truncate($"'{reservation.Title}' of {reservation.OwnerName} force-released: {reason}", 2000),
            });
            if (!await SaveAsync(db, ct, () => Publish(reservation, "force-released"))) continue;
            LogForceReleased(reservation.Id, by);
            await CheckRunAsync(reservationId, ct); // stops the run (or finishes a lease whose run never started)
            return new ForceReleaseResult(true, $"'{reservation.Title}' force-released; its test is being stopped and {reservation.Environment!.Name} cleaned up.");
        }
        return new ForceReleaseResult(false, "The lease kept changing while it was being force-released; look again and retry.");
    }

    private async Task PollAsync(LeaseBoardDb db, TestRun run, CancellationToken ct)
    {
        var environment = run.Reservation!.Environment!;
        var status = await TryStatusAsync(environment.Key, run.FrameworkRunId!, ct);
        var now = Now;
        switch (status?.Phase)
        {
            case RunPhase.Succeeded:
                await FinishRunAsync(db, run, TestRunState.Succeeded, ReservationState.Completed, $"Test passed. {status.Detail}".Trim(), ct);
                return;
            case RunPhase.Failed:
                await FinishRunAsync(db, run, TestRunState.Failed, ReservationState.Failed, $"Test failed: {status.Detail}", ct);
                return;
            case RunPhase.Unknown:
                await FinishRunAsync(db, run, TestRunState.Lost, ReservationState.Failed, $"The test framework lost track of the run: {status.Detail}", ct);
                return;
            case RunPhase.Running:
                var progressed = status.ProgressPercent != run.ProgressPercent;
                run.LastHeartbeatUtc = now;
                if (status.LastActivityUtc is { } activity) run.LastProgressUtc = activity > now ? now : activity;
                else if (progressed) run.LastProgressUtc = now;
                run.ProgressPercent = status.ProgressPercent;
                run.State = TestRunState.Running;
                if (!await SaveAsync(db, ct, () => { if (progressed) PublishRun(run); })) return;
                break;
        }

        // No progress (or no answer at all) for the hang timeout: the test is hung.
        var quietSince = run.LastProgressUtc ?? run.StartedUtc;
        if (now - quietSince >= Options.HangTimeout)
            await BeginStopAsync(db, run, RunStopReason.Hung, ct);
    }

    private async Task BeginStopAsync(LeaseBoardDb db, TestRun run, RunStopReason reason, CancellationToken ct)
    {
        var now = Now;
        var reservation = run.Reservation!;
        if (run.FrameworkRunId is null)
        {
            await FinishRunAsync(db, run, TestRunState.Killed, FinalState(reason, RunPhase.Failed), "Stopped before the framework had started it.", ct);
            return;
        }
        run.State = TestRunState.Stopping;
        run.StopReason = reason;
        run.StopRequestedUtc = now;
        run.StopAttempts = 1;
        run.NextActionUtc = now + Options.StopGracePeriod;
        run.Detail = reason switch
        {
            RunStopReason.Hung => $"No progress for {Describe(now - (run.LastProgressUtc ?? run.StartedUtc))}: stopping the hung test.",
            RunStopReason.Deadline => "Still running at the end of the slot: stopping it.",
            RunStopReason.Released => "Released early: stopping the test.",
            RunStopReason.ForceReleased => "Force-released by an admin: stopping the test.",
            _ => "Stopping.",
        };
        if (reason == RunStopReason.Hung) run.State = TestRunState.Stopping;
        Audit(db, AuditActions.RunStopping, reservation, run.Detail);
        if (!await SaveAsync(db, ct, () => PublishRun(run))) return;
        LogStopping(reservation.Id, reason);

        var delivered = await TryStopAsync(reservation.Environment!.Key, run.FrameworkRunId, force: false, ct);
        if (!delivered) run.Detail += " The stop request was not answered.";
        jobs.ScheduleRunCheck(reservation.Id, run.NextActionUtc!.Value);
        await ContinueStopAsync(db, run, ct);
    }

    /// <summary>Finishes the run once it has stopped; after the grace period forces it; after a failed force, quarantines the environment.</summary>
    private async Task ContinueStopAsync(LeaseBoardDb db, TestRun run, CancellationToken ct)
    {
        var reservation = run.Reservation!;
        var environment = reservation.Environment!;
        var reason = run.StopReason ?? RunStopReason.Deadline;
        var status = await TryStatusAsync(environment.Key, run.FrameworkRunId!, ct);
        if (status is { Phase: not RunPhase.Running })
        {
            var runState = status.Phase == RunPhase.Succeeded ? TestRunState.Succeeded : StoppedRunState(reason);
            await FinishRunAsync(db, run, runState, FinalState(reason, status.Phase), Explain(reason, run, status.Phase), ct);
            return;
        }
        var now = Now;
        if (run.NextActionUtc > now + EarlyFireTolerance) return;

        if (run.StopAttempts < 2)
        {
            run.StopAttempts = 2;
            run.NextActionUtc = now + Options.StopGracePeriod;
            run.Detail = $"{run.Detail} No stop after {Describe(Options.StopGracePeriod)}: force-stopping.";
            Audit(db, AuditActions.RunForceStopped, reservation, run.Detail);
            if (!await SaveAsync(db, ct)) return;
            var delivered = await TryStopAsync(environment.Key, run.FrameworkRunId!, force: true, ct);
            jobs.ScheduleRunCheck(reservation.Id, run.NextActionUtc.Value);
            var after = delivered ? await TryStatusAsync(environment.Key, run.FrameworkRunId!, ct) : null;
            if (after is { Phase: not RunPhase.Running })
                await FinishRunAsync(db, run, StoppedRunState(reason), FinalState(reason, after.Phase), Explain(reason, run, after.Phase), ct);
            return;
        }

        // Neither stop worked, and the framework may not even answer: a person must look at the environment.
        var problem = $"Run {run.FrameworkRunId} could not be stopped (graceful and force stop failed or went unanswered).";
        await FinishRunAsync(db, run, TestRunState.Lost, FinalState(reason, RunPhase.Failed), $"{Explain(reason, run, RunPhase.Failed)} {problem}", ct, cleanUp: false);
        await care.QuarantineAsync(environment.Id, $"{TestEnvironment.NeedsAttentionPrefix} {problem}", AuditEntry.SystemActor, ct);
    }

    /// <summary>Closes the run and the lease, and hands the environment to cleanup (unless told not to).</summary>
    private async Task FinishRunAsync(LeaseBoardDb db, TestRun run, TestRunState runState, ReservationState reservationState, string outcome,
        CancellationToken ct, bool cleanUp = true)
    {
        var now = Now;
        var reservation = run.Reservation!;
        var environment = reservation.Environment!;
        run.State = runState;
        run.EndedUtc = now;
        run.NextActionUtc = null;
        run.Detail = Rules.Truncate(outcome);
        if (runState == TestRunState.Succeeded) run.ProgressPercent = 100;
        if (reservation.State != ReservationState.ForceReleased) reservation.State = reservationState;
        reservation.Outcome = Rules.Truncate(reservation.State == ReservationState.ForceReleased && reservation.Outcome is { } reason ? reason : outcome);
        reservation.EndedUtc = now;
        reservation.UpdatedUtc = now;
        if (cleanUp && environment.State == EnvironmentState.Leased)
        {
            environment.State = EnvironmentState.CleaningUp;
            environment.StateSinceUtc = now;
        }
        Audit(db, AuditActions.LeaseEnded, reservation, $"Run {runState}; reservation {reservation.State}: {outcome}");
        if (!await SaveAsync(db, ct, () => { PublishRun(run); Publish(reservation, "ended"); PublishEnvironment(environment); })) return;
        LogFinished(reservation.Id, runState, reservation.State);
        if (cleanUp) jobs.EnqueueCleanup(environment.Id);
    }

    private static TestRunState StoppedRunState(RunStopReason reason) => reason switch
    {
        RunStopReason.Hung => TestRunState.Hung,
        RunStopReason.Deadline => TestRunState.TimedOut,
        _ => TestRunState.Killed,
    };

    private static ReservationState FinalState(RunStopReason reason, RunPhase phase) => (reason, phase) switch
    {
        (RunStopReason.ForceReleased, _) => ReservationState.ForceReleased,
        (_, RunPhase.Succeeded) => ReservationState.Completed,
        (RunStopReason.Released, _) => ReservationState.Completed,
        (RunStopReason.Deadline, _) => ReservationState.TimedOut,
        _ => ReservationState.Failed,
    };

    private string Explain(RunStopReason reason, TestRun run, RunPhase phase) => (reason, phase) switch
    {
        (_, RunPhase.Succeeded) => "Test passed.",
        (RunStopReason.Hung, _) => $"Hung: no progress for {Describe(Options.HangTimeout)} at {run.ProgressPercent}%; the test was stopped.",
        (RunStopReason.Deadline, _) => $"Timed out: still running at the end of the slot ({run.ProgressPercent}%); the test was stopped.",
        (RunStopReason.Released, _) => $"Released early by the owner at {run.ProgressPercent}%.",
        (RunStopReason.ForceReleased, _) => "Force-released by an admin.",
        _ => "Stopped.",
    };

    private async Task<RunStatus?> TryStatusAsync(string environmentKey, string runId, CancellationToken ct)
    {
        try
        {
            return await framework.GetRunStatusAsync(environmentKey, runId, ct);
        }
        catch (TestFrameworkException e)
        {
            LogFrameworkSilent(e, environmentKey, runId);
            return null;
        }
    }

    private async Task<bool> TryStopAsync(string environmentKey, string runId, bool force, CancellationToken ct)
    {
        try
        {
            await framework.StopRunAsync(environmentKey, runId, force, ct);
            return true;
        }
        catch (TestFrameworkException e)
        {
            LogStopFailed(e, environmentKey, runId, force);
            return false;
        }
    }

    private static Task<TestRun?> OpenRunAsync(LeaseBoardDb db, int reservationId, CancellationToken ct) =>
        db.TestRuns.Include(r => r.Reservation).ThenInclude(r => r!.Environment)
            .Where(r => r.ReservationId == reservationId && TestRunStates.Open.Contains(r.State))
            .OrderByDescending(r => r.Id).FirstOrDefaultAsync(ct);

    /// <summary>Saves; false when another actor changed the rows first (the caller's view is stale and it stops).</summary>
    private async Task<bool> SaveAsync(LeaseBoardDb db, CancellationToken ct, Action? onSaved = null)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            LogConcurrent();
            foreach (var entry in db.ChangeTracker.Entries().ToList()) entry.State = EntityState.Detached;
            return false;
        }
        onSaved?.Invoke();
        return true;
    }

    private void Audit(LeaseBoardDb db, string action, Reservation reservation, string details) => db.AuditEntries.Add(new AuditEntry
    {
        AtUtc = Now, Actor = AuditEntry.SystemActor, Action = action, EnvironmentId = reservation.EnvironmentId,
        ReservationId = reservation.Id, Details = Rules.Truncate(details, 2000),
    });

    private void Publish(Reservation reservation, string change) =>
        events.Publish(new ReservationChanged(reservation.Id, reservation.EnvironmentId, reservation.State, change));

    private void PublishRun(TestRun run) =>
        events.Publish(new RunProgressed(run.ReservationId, run.EnvironmentId, run.ProgressPercent, run.State));

    private void PublishEnvironment(TestEnvironment environment) =>
        events.Publish(EnvironmentChanged.Of(environment));


    private static string Describe(TimeSpan span) => Booking.BookingRules.Describe(TimeSpan.FromMinutes(Math.Max(1, Math.Round(span.TotalMinutes))));

    [LoggerMessage(Level = LogLevel.Information, Message = "Reservation {ReservationId} waits: {EnvironmentKey} is {State}")]
    private partial void LogWaiting(int reservationId, string environmentKey, EnvironmentState state);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reservation {ReservationId} claimed {EnvironmentKey} with fencing token {Token}")]
    private partial void LogClaimed(int reservationId, string environmentKey, long token);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Start of reservation {ReservationId} on {EnvironmentKey} failed (attempt {Attempt})")]
    private partial void LogStartFailed(Exception exception, int reservationId, string environmentKey, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} of reservation {ReservationId} started while the lease changed; force-stopping it")]
    private partial void LogStartRaced(int reservationId, string runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping the run of reservation {ReservationId}: {Reason}")]
    private partial void LogStopping(int reservationId, RunStopReason reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lease {ReservationId} ended: run {RunState}, reservation {ReservationState}")]
    private partial void LogFinished(int reservationId, TestRunState runState, ReservationState reservationState);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No status for run {RunId} on {EnvironmentKey}")]
    private partial void LogFrameworkSilent(Exception exception, string environmentKey, string runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stop (force: {Force}) of run {RunId} on {EnvironmentKey} failed")]
    private partial void LogStopFailed(Exception exception, string environmentKey, string runId, bool force);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reservation {ReservationId} force-released by {By}")]
    private partial void LogForceReleased(int reservationId, string by);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Another actor changed the lease first; this trigger stands down")]
    private partial void LogConcurrent();
}

/// <summary>What a force-release did, in a sentence for the admin.</summary>
public sealed record ForceReleaseResult(bool Done, string Message);
