using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Framework;
using LeaseBoard.Features.Telemetry;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Features.Leases;

/// <summary>The start path: claiming the environment under a new fencing token, and starting the run (with retries).</summary>
public sealed partial class LeaseEngine
{
    /// <summary>The start trigger: claims the environment, issues a fencing token, creates the run and starts it.</summary>
    public async Task StartLeaseAsync(int reservationId, CancellationToken ct)
    {
        using var span = LeaseBoardTelemetry.LeaseStartSpan(reservationId);
        // The probe at the start, outside the claim: an unhealthy environment hands the slot to a free one (claimed below), or it is not usable.
        var unusable = await readiness.AtStartAsync(reservationId, ct);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var claimed = await TryClaimAsync(reservationId, unusable, ct);
            if (claimed is ClaimResult.Retry) continue;
            if (claimed is ClaimResult.Claimed) await AttemptStartAsync(reservationId, ct);
            return;
        }
    }

    private enum ClaimResult { Nothing, Claimed, Retry }

    private async Task<ClaimResult> TryClaimAsync(int reservationId, UnusableAtStart? unusable, CancellationToken ct)
    {
        var now = Now;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var reservation = await db.Reservations.Include(r => r.Environment).FirstOrDefaultAsync(r => r.Id == reservationId, ct);
        if (reservation is not { State: ReservationState.Scheduled }) return ClaimResult.Nothing; // cancelled, already started or gone
        var environment = reservation.Environment!;

        switch (LeaseRules.DecideClaim(now, reservation.StartUtc, reservation.EndUtc, environment.IsBookable, environment.State))
        {
            case ClaimStep.ComeBackAtStart:
                // Fired early (or the reservation moved later): come back at the real start.
                reservation.StartJobId = jobs.ScheduleStart(reservation.Id, reservation.StartUtc);
                await db.SaveChangesAsync(ct);
                return ClaimResult.Nothing;
            case ClaimStep.Missed:
                return await MissAsync(db, reservation, now,
                    "Missed: the slot ended before the test could start (the environment was busy or LeaseBoard was down).", ct);
            case ClaimStep.NotBookable:
                return await MissAsync(db, reservation, now,
                    $"Not started: {environment.Name} is {environment.State.ToString().ToLowerInvariant()} ({environment.QuarantineReason ?? "out of service"}) and no other environment took the slot.", ct);
            case ClaimStep.WaitForEnvironment:
                // The previous lease is still being stopped or cleaned: wait for it (cleanup also starts due leases).
                LogWaiting(reservation.Id, environment.Key, environment.State);
                jobs.ScheduleRunCheck(reservation.Id, now + LeaseRules.WaitForEnvironmentRecheck);
                return ClaimResult.Nothing;
        }
        if (unusable is not null && unusable.EnvironmentId == environment.Id)
            return await MissAsync(db, reservation, now, unusable.Outcome, ct);

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
        if (!await SaveAsync(db, ct, () => { Publish(reservation, ReservationChange.Started); PublishEnvironment(environment); }))
            return ClaimResult.Retry;
        LogClaimed(reservation.Id, environment.Key, environment.FenceCounter);
        telemetry.LeaseStarted(environment.Key);
        await EnsureDeadlineJobAsync(db, reservation.Id, reservation.DeadlineJobId, reservation.EndUtc, ct);
        return ClaimResult.Claimed;
    }

    /// <summary>
    /// A lease that starts late after a restart (the supervise pass or the reconcile starts it) lost its deadline job
    /// with the job storage, and the reconcile only renews the jobs of slots still ahead: schedule it again, unless the
    /// one it has is still waiting. After the claim's commit, so a claim that loses leaves no job behind.
    /// </summary>
    private async Task EnsureDeadlineJobAsync(LeaseBoardDb db, int reservationId, string? deadlineJobId, DateTime endUtc, CancellationToken ct)
    {
        if (deadlineJobId is not null && jobs.IsPending(deadlineJobId)) return;
        var renewed = jobs.ScheduleDeadline(reservationId, endUtc);
        await db.Reservations.Where(r => r.Id == reservationId && r.DeadlineJobId == deadlineJobId)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.DeadlineJobId, renewed), ct);
        LogDeadlineRenewed(reservationId, endUtc);
    }

    /// <summary>The slot cannot be used: the reservation fails with the reason.</summary>
    private async Task<ClaimResult> MissAsync(LeaseBoardDb db, Reservation reservation, DateTime now, string outcome, CancellationToken ct)
    {
        reservation.State = ReservationState.Failed;
        reservation.Outcome = outcome;
        reservation.EndedUtc = now;
        Audit(db, AuditActions.LeaseMissed, reservation, reservation.Outcome);
        return await SaveAsync(db, ct, () => Publish(reservation, ReservationChange.Missed)) ? ClaimResult.Nothing : ClaimResult.Retry;
    }

    /// <summary>One start attempt of the reservation's run; failures back off and, after the last attempt, fail the lease.</summary>
    private async Task AttemptStartAsync(int reservationId, CancellationToken ct)
    {
        var now = Now;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var run = await OpenRunAsync(db, reservationId, ct);
        if (run is not { State: TestRunState.Starting } || LeaseRules.IsEarly(run.NextActionUtc, now)) return;
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
            if (LeaseRules.GivesUpStarting(run.StartAttempts, e is StaleFencingTokenException, Options))
            {
                await FinishRunAsync(db, run, TestRunState.Failed, ReservationState.Failed,
                    $"The test could not be started after {run.StartAttempts} attempt(s): {e.Message}", ct);
                return;
            }
            var delay = LeaseRules.StartRetryDelay(run.StartAttempts, Options);
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
            switch (LeaseRules.RecordStarted(run.State, run.FrameworkRunId, frameworkRunId))
            {
                case RecordStep.AlreadyRecorded: return true;
                case RecordStep.LeaseGone: return false;
            }
            run.FrameworkRunId = frameworkRunId;
            run.State = TestRunState.Running;
            run.LastHeartbeatUtc = run.LastProgressUtc = Now;
            run.NextActionUtc = null;
            run.Detail = null;
            if (await SaveAsync(db, ct, () => PublishRun(run))) return Started(run);

            var fresh = await db.TestRuns.Include(r => r.Reservation).ThenInclude(r => r!.Environment).FirstOrDefaultAsync(r => r.Id == run.Id, ct);
            if (fresh is null || !fresh.State.IsOpen() || fresh.Reservation!.State != ReservationState.Active) return false;
            run = fresh;
        }
        return false;
    }

    private bool Started(TestRun run)
    {
        telemetry.RunStarted(run.Reservation!.Environment!.Key, run.LastHeartbeatUtc!.Value - run.Reservation.StartUtc);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reservation {ReservationId} waits: {EnvironmentKey} is {State}")]
    private partial void LogWaiting(int reservationId, string environmentKey, EnvironmentState state);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reservation {ReservationId} had no waiting deadline job when its lease started: scheduled one for {EndUtc:O}")]
    private partial void LogDeadlineRenewed(int reservationId, DateTime endUtc);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reservation {ReservationId} claimed {EnvironmentKey} with fencing token {Token}")]
    private partial void LogClaimed(int reservationId, string environmentKey, long token);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Start of reservation {ReservationId} on {EnvironmentKey} failed (attempt {Attempt})")]
    private partial void LogStartFailed(Exception exception, int reservationId, string environmentKey, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} of reservation {ReservationId} started while the lease changed; force-stopping it")]
    private partial void LogStartRaced(int reservationId, string runId);
}
