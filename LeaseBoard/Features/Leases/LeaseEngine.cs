using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Framework;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Features.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Leases;

/// <summary>
/// Starts, watches and ends leases. Every method takes ids, re-reads the database, acts only if the
/// state still calls for it and saves under the rows' concurrency tokens, so a trigger that fires
/// twice, late or concurrently does no harm. Framework calls happen outside transactions, with
/// timeouts (through <see cref="ResilientTestFramework"/>); a run is fenced by the token it started with.
/// What should happen is decided by <see cref="LeaseRules"/>; this file holds the triggers and what the paths
/// share, LeaseEngine.Start.cs the start path and LeaseEngine.Stop.cs the watch and stop path.
/// </summary>
public sealed partial class LeaseEngine(
    IDbContextFactory<LeaseBoardDb> dbs,
    ITestFramework framework,
    EnvironmentCare care,
    ReadinessCheck readiness,
    ILeaseTriggers jobs,
    IOptionsMonitor<LeaseOptions> options,
    TimeProvider clock,
    BoardEvents events,
    LeaseBoardTelemetry telemetry,
    ILogger<LeaseEngine> logger)
{
    /// <inheritdoc cref="LeaseRules.EarlyFireTolerance"/>
    public static readonly TimeSpan EarlyFireTolerance = LeaseRules.EarlyFireTolerance;

    private LeaseOptions Options => options.CurrentValue;
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

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
            if (LeaseRules.DeadlineFiredEarly(Now, reservation.EndUtc, reservation.State))
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
                if (LeaseRules.EndsBeforeStart(reservation.State, now, reservation.EndUtc))
                    await FinishRunAsync(db, run, TestRunState.Killed, LeaseRules.UnstartedEndState(reservation.State),
                        "Ended before the test could be started.", ct);
                else if (LeaseRules.IsDue(run.NextActionUtc, now))
                    await AttemptStartAsync(reservationId, ct);
                return;
            case TestRunState.Starting:
            case TestRunState.Running:
                if (LeaseRules.StopReasonFor(reservation.State, now, reservation.EndUtc) is { } stopReason)
                    await BeginStopAsync(db, run, stopReason, ct);
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
    /// <param name="alongside">Adds rows (an admin's audit entry, given the outcome message) to the same save as the release, so they stand or fall with it.</param>
    public async Task<ForceReleaseResult> ForceReleaseAsync(int reservationId, string reason, Actor by, CancellationToken ct,
        Action<LeaseBoardDb, string>? alongside = null)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var reservation = await db.Reservations.Include(r => r.Environment).FirstOrDefaultAsync(r => r.Id == reservationId, ct);
            if (reservation is null) return new ForceReleaseResult(false, $"Reservation {reservationId} does not exist.");
            if (LeaseRules.ForceReleaseRefusal(reservation.State, reservation.Outcome) is { } refusal)
                return new ForceReleaseResult(false, refusal);
            reservation.State = ReservationState.ForceReleased;
            reservation.Outcome = Rules.Truncate($"Force-released by {by.DisplayName}: {reason}");
            reservation.UpdatedUtc = Now;
            Audit(db, AuditActions.LeaseForceReleased, reservation, $"'{reservation.Title}' of {reservation.OwnerName} force-released: {reason}", by);
            var message = $"'{reservation.Title}' force-released; its test is being stopped and {reservation.Environment!.Name} cleaned up.";
            alongside?.Invoke(db, message);
            if (!await SaveAsync(db, ct, () => Publish(reservation, ReservationChange.ForceReleased))) continue;
            LogForceReleased(reservation.Id, by.Id, by.DisplayName);
            await CheckRunAsync(reservationId, ct); // stops the run (or finishes a lease whose run never started)
            return new ForceReleaseResult(true, message);
        }
        return new ForceReleaseResult(false, "The lease kept changing while it was being force-released; look again and retry.");
    }

    /// <summary>Closes the run and the lease, and hands the environment to cleanup (unless told not to).</summary>
    private async Task FinishRunAsync(LeaseBoardDb db, TestRun run, TestRunState runState, ReservationState reservationState, string outcome,
        CancellationToken ct, bool cleanUp = true)
    {
        var now = Now;
        var reservation = run.Reservation!;
        var environment = reservation.Environment!;
        var started = run.FrameworkRunId is not null;
        var unhealthyDuringRun = LeaseRules.NeedsHealthDuringRun(runState, reservation.State, started)
                                 && (environment.Health == HealthStatus.Unhealthy || await db.HealthSamples.AnyAsync(
                                     h => h.EnvironmentId == environment.Id && h.AtUtc >= run.StartedUtc && h.Status == HealthStatus.Unhealthy, ct));
        run.Attribution = LeaseRules.Attribute(runState, reservation.State, started, unhealthyDuringRun);
        if (run.Attribution == RunAttribution.Infrastructure) outcome = $"{outcome} {LeaseRules.InfrastructureSentence(environment.Name)}";
        run.State = runState;
        run.EndedUtc = now;
        run.NextActionUtc = null;
        run.Detail = Rules.Truncate(outcome);
        if (runState == TestRunState.Succeeded) run.ProgressPercent = 100;
        reservation.State = LeaseRules.ClosingState(reservation.State, reservationState);
        reservation.Outcome = Rules.Truncate(LeaseRules.ClosingOutcome(reservation.State, reservation.Outcome, outcome));
        reservation.EndedUtc = now;
        reservation.UpdatedUtc = now;
        if (cleanUp && environment.State == EnvironmentState.Leased)
        {
            environment.State = EnvironmentState.CleaningUp;
            environment.StateSinceUtc = now;
        }
        Audit(db, AuditActions.LeaseEnded, reservation, $"Run {runState}; reservation {reservation.State}: {outcome}");
        if (!await SaveAsync(db, ct, () => { PublishRun(run); Publish(reservation, ReservationChange.Ended); PublishEnvironment(environment); })) return;
        LogFinished(reservation.Id, runState, reservation.State);
        if (run.Attribution == RunAttribution.Infrastructure) telemetry.InfrastructureFailure(environment.Key);
        if (cleanUp) jobs.EnqueueCleanup(environment.Id);
    }

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

    private void Audit(LeaseBoardDb db, string action, Reservation reservation, string details, Actor? by = null) =>
        db.AuditEntries.Add(AuditEntry.For(by ?? Actor.System, action, details, clock, reservation.EnvironmentId, reservation.Id));

    private void Publish(Reservation reservation, ReservationChange change) =>
        events.Publish(new ReservationChanged(reservation.Id, reservation.EnvironmentId, reservation.State, change));

    private void PublishRun(TestRun run) =>
        events.Publish(new RunProgressed(run.ReservationId, run.EnvironmentId, run.ProgressPercent, run.State));

    private void PublishEnvironment(TestEnvironment environment) =>
        events.Publish(EnvironmentChanged.Of(environment));

    [LoggerMessage(Level = LogLevel.Information, Message = "Lease {ReservationId} ended: run {RunState}, reservation {ReservationState}")]
    private partial void LogFinished(int reservationId, TestRunState runState, ReservationState reservationState);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No status for run {RunId} on {EnvironmentKey}")]
    private partial void LogFrameworkSilent(Exception exception, string environmentKey, string runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stop (force: {Force}) of run {RunId} on {EnvironmentKey} failed")]
    private partial void LogStopFailed(Exception exception, string environmentKey, string runId, bool force);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reservation {ReservationId} force-released by {ActorId} ({ActorName})")]
    private partial void LogForceReleased(int reservationId, string actorId, string actorName);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Another actor changed the lease first; this trigger stands down")]
    private partial void LogConcurrent();
}

/// <summary>What a force-release did, in a sentence for the admin.</summary>
public sealed record ForceReleaseResult(bool Done, string Message);
