using System.Collections.Concurrent;
using System.Diagnostics;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Framework;
using LeaseBoard.Features.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Leases;

/// <summary>What one supervise pass looked at and did; logged, and read by tests and the benchmark.</summary>
public sealed record SupervisePassResult(int DueStarts, int OpenRuns, int StalledCleanups, int HealthProbes, int Orphans, int PrunedSamples, TimeSpan Elapsed);

/// <summary>
/// The recurring backstop of the lease engine, and the start-up reconcile: starts missed leases that
/// are still inside their slot, moves every open run on (progress, hang, deadline, stop), retries
/// stalled cleanups, probes health on its interval, stops orphan runs and prunes history. Its cost
/// grows with the active work (due starts, open runs, environments), never with history.
/// </summary>
public sealed partial class LeaseSupervisor(
    IDbContextFactory<LeaseBoardDb> dbs,
    LeaseEngine engine,
    EnvironmentCare care,
    ITestFramework framework,
    ILeaseTriggers jobs,
    IOptionsMonitor<LeaseOptions> options,
    TimeProvider clock,
    IEnumerable<ISupervisePassListener> listeners,
    LeaseBoardTelemetry telemetry,
    WriteTurns turns,
    ILogger<LeaseSupervisor> logger)
{
    /// <summary>A Leased environment with no open run for this long was stranded (its run ended without handing it on).</summary>
    public static readonly TimeSpan StrandedAfter = TimeSpan.FromMinutes(1);

    private LeaseOptions Options => options.CurrentValue;
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public async Task<SupervisePassResult> SuperviseAsync(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var now = Now;
        List<int> dueStarts, openRuns, stalledCleanups, probes;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var due = now + LeaseEngine.EarlyFireTolerance;
            dueStarts = await db.Reservations.Where(r => r.State == ReservationState.Scheduled && r.StartUtc <= due)
                .OrderBy(r => r.StartUtc).Select(r => r.Id).ToListAsync(ct);
            // A lease whose run ended without the environment being handed on goes to cleanup. One conditional statement
            // (a start job's claim — environment Leased and its run, one commit — is seen whole or not at all), and only
            // for a claim older than a minute, so that even a plan that reads the runs before it locks the environment
            // row (SQL Server may) never mistakes a lease claimed during this pass for a stranded one.
            var strandedBefore = now - StrandedAfter;
            await db.Environments
                .Where(e => e.State == EnvironmentState.Leased && (e.StateSinceUtc == null || e.StateSinceUtc < strandedBefore)
                            && !db.TestRuns.Any(r => r.EnvironmentId == e.Id && TestRunStates.Open.Contains(r.State)))
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.State, EnvironmentState.CleaningUp).SetProperty(e => e.StateSinceUtc, (DateTime?)null)
                    .SetProperty(e => e.Version, Guid.NewGuid()), ct);

            openRuns = await db.TestRuns.Where(r => TestRunStates.Open.Contains(r.State)).Select(r => r.ReservationId).Distinct().ToListAsync(ct);
            var environments = await db.Environments.Where(e => e.State != EnvironmentState.Retired)
                .Select(e => new { e.Id, e.Key, e.State, e.StateSinceUtc, e.LastHealthCheckUtc }).ToListAsync(ct);

            // A cleanup never attempted (just handed on above) or stalled.
            stalledCleanups = environments
                .Where(e => e.State == EnvironmentState.CleaningUp && (e.StateSinceUtc is null || now - e.StateSinceUtc >= Options.CleanupRetryAfter))
                .Select(e => e.Id).ToList();
            // A probe is recorded a little after its pass began; without the slack the next due pass would find it
            // just short of the interval and probes would drift to every interval + one supervise beat.
            probes = environments.Where(e => e.LastHealthCheckUtc is null || now - e.LastHealthCheckUtc >= Options.HealthCheckInterval - LeaseEngine.EarlyFireTolerance)
                .Select(e => e.Id).ToList();
        }

        foreach (var id in dueStarts) await Guard(() => engine.StartLeaseAsync(id, ct));
        await ForEachLimitedAsync(openRuns, id => engine.CheckRunAsync(id, ct), ct);
        await ForEachLimitedAsync(stalledCleanups, id => care.CleanupAsync(id, ct), ct);
        await ForEachLimitedAsync(probes, id => care.ProbeHealthAsync(id, ct), ct);
        var orphans = await StopOrphansAsync(ct);
        var pruned = await PruneAsync(ct);
        foreach (var listener in listeners) await Guard(() => listener.AfterSuperviseAsync(ct));

        var result = new SupervisePassResult(dueStarts.Count, openRuns.Count, stalledCleanups.Count, probes.Count, orphans, pruned,
            Stopwatch.GetElapsedTime(started));
        telemetry.SupervisePassed(result.Elapsed);
        LogPass(result.DueStarts, result.OpenRuns, result.StalledCleanups, result.HealthProbes, result.Orphans, result.Elapsed.TotalMilliseconds);
        return result;
    }

    /// <summary>Only the open runs: progress, hangs, deadlines and ends, between the fuller supervise passes.</summary>
    public async Task<int> PollRunsAsync(CancellationToken ct)
    {
        List<int> openRuns;
        await using (var db = await dbs.CreateDbContextAsync(ct))
            openRuns = await db.TestRuns.Where(r => TestRunStates.Open.Contains(r.State)).Select(r => r.ReservationId).Distinct().ToListAsync(ct);
        await ForEachLimitedAsync(openRuns, id => engine.CheckRunAsync(id, ct), ct);
        return openRuns.Count;
    }

    /// <summary>
    /// After a restart: recreate the delayed jobs the job storage lost, adopt the runs the framework still
    /// knows (audited), re-ask at once for starts that were in flight when the old process died (the framework's
    /// start is idempotent by fencing token, so the answer is the run it may already have started), then
    /// supervise once — progress, missed slots still open start, overdue runs are stopped and closed.
    /// </summary>
    public async Task<SupervisePassResult> ReconcileAsync(CancellationToken ct)
    {
        var now = Now;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var live = await db.Reservations.Where(r => (r.State == ReservationState.Scheduled && r.StartUtc > now)
                                                        || (r.State == ReservationState.Active && r.EndUtc > now))
                .Select(r => new { r.Id, r.State, r.StartUtc, r.EndUtc, r.StartJobId, r.DeadlineJobId }).ToListAsync(ct);
            var rescheduled = new List<Rescheduled>();
            foreach (var reservation in live)
            {
                var startJob = reservation.StartJobId;
                var deadlineJob = reservation.DeadlineJobId;
                if (reservation.State == ReservationState.Scheduled && (startJob is null || !jobs.IsPending(startJob)))
                    startJob = jobs.ScheduleStart(reservation.Id, reservation.StartUtc);
                if (deadlineJob is null || !jobs.IsPending(deadlineJob))
                    deadlineJob = jobs.ScheduleDeadline(reservation.Id, reservation.EndUtc);
                // A readiness check the storage lost runs at its time, or at once if that passed while the app was down.
                if (reservation.State == ReservationState.Scheduled && !jobs.HasReadiness(reservation.Id)
                    && LeaseRules.ReadinessDue(now, reservation.StartUtc, Options.ReadinessLead) is { } readinessAt)
                    jobs.ScheduleReadiness(reservation.Id, reservation.StartUtc, readinessAt);
                if (startJob != reservation.StartJobId || deadlineJob != reservation.DeadlineJobId)
                    rescheduled.Add(new Rescheduled(reservation.Id, reservation.StartJobId, reservation.DeadlineJobId, startJob, deadlineJob));
            }
            await WriteJobIdsAsync(rescheduled, ct);
            LogReconciled(live.Count);

            await db.TestRuns.Where(r => r.State == TestRunState.Starting && r.FrameworkRunId == null && r.NextActionUtc > now)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.NextActionUtc, now).SetProperty(r => r.Version, Guid.NewGuid()), ct);
        }
        await AdoptRunsAsync(ct);
        return await SuperviseAsync(ct);
    }

    /// <summary>
    /// The new job ids in one transaction, in the bookings' queue for SQLite's writer: after a restart every future
    /// reservation gets new jobs, and hundreds of statements committed one by one would hold the writer for most of a second
    /// against the first bookings (which met it in Microsoft.Data.Sqlite's busy sleep). A job whose id is not written is
    /// found pending by the next reconcile or, when it runs, finds its reservation as it is; a row whose ids changed since
    /// they were read (a booking moved it meanwhile and scheduled its own) is left as that change wrote it.
    /// </summary>
    private async Task WriteJobIdsAsync(List<Rescheduled> rescheduled, CancellationToken ct)
    {
        if (rescheduled.Count == 0) return;
        await turns.InTransactionAsync(dbs, async (db, token) =>
        {
            foreach (var (id, wasStart, wasDeadline, startJob, deadlineJob) in rescheduled)
                await db.Reservations.Where(r => r.Id == id && r.StartJobId == wasStart && r.DeadlineJobId == wasDeadline)
                    .ExecuteUpdateAsync(s => s.SetProperty(r => r.StartJobId, startJob).SetProperty(r => r.DeadlineJobId, deadlineJob), token);
        }, ct);
    }

    private sealed record Rescheduled(int Id, string? WasStartJob, string? WasDeadlineJob, string? StartJob, string? DeadlineJob);

    /// <summary>Asks the framework about every open run it was given and records each it still runs as adopted.</summary>
    private async Task AdoptRunsAsync(CancellationToken ct)
    {
        List<(int ReservationId, int EnvironmentId, string Key, string RunId)> open;
        await using (var db = await dbs.CreateDbContextAsync(ct))
            open = (await db.TestRuns.Where(r => TestRunStates.Open.Contains(r.State) && r.FrameworkRunId != null)
                    .Select(r => new { r.ReservationId, r.EnvironmentId, r.Reservation!.Environment!.Key, r.FrameworkRunId }).ToListAsync(ct))
                .Select(r => (r.ReservationId, r.EnvironmentId, r.Key, r.FrameworkRunId!)).ToList();
        if (open.Count == 0) return;

        var adopted = new ConcurrentBag<AuditEntry>();
        await Parallel.ForEachAsync(open, new ParallelOptions { MaxDegreeOfParallelism = Options.MaxParallelCalls, CancellationToken = ct }, async (run, token) =>
        {
            RunStatus status;
            try
            {
                status = await framework.GetRunStatusAsync(run.Key, run.RunId, token);
            }
            catch (TestFrameworkException e)
            {
                LogAdoptionUnanswered(e, run.RunId, run.Key); // the framework is silent, not forgetful: the next passes ask again
                return;
            }
            if (status.Phase != RunPhase.Running) return; // the supervise pass closes it with what the framework says
            LogAdopted(run.RunId, run.Key, status.ProgressPercent);
            adopted.Add(AuditEntry.For(Actor.System, AuditActions.RunAdopted,
                $"Run {run.RunId} on {run.Key} adopted after restart: the framework reports it running at {status.ProgressPercent}%.", clock, run.EnvironmentId, run.ReservationId));
        });
        if (adopted.IsEmpty) return;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            db.AuditEntries.AddRange(adopted.OrderBy(a => a.ReservationId));
            await db.SaveChangesAsync(ct);
        }
    }

    /// <summary>Orphan runs asked to stop gracefully, and when: after the grace period they are force-stopped.</summary>
    private readonly ConcurrentDictionary<string, DateTime> _orphanStops = new(StringComparer.Ordinal);

    /// <summary>
    /// Stops runs the framework reports that no open lease owns — a graceful stop first, a force stop once the
    /// grace period has passed — so a test left behind (by a crash, a lost save, another instance) never shares an
    /// environment with the next lease. The framework is asked first and the database second, so a run started
    /// meanwhile is either missing from the list or already known; an environment with a run still being started is
    /// left alone. After a restart the graceful stop simply comes again.
    /// </summary>
    private async Task<int> StopOrphansAsync(CancellationToken ct)
    {
        IReadOnlyList<ActiveRun> active;
        try
        {
            active = await framework.ListActiveRunsAsync(ct);
        }
        catch (TestFrameworkException e)
        {
            LogListFailed(e);
            return 0;
        }
        foreach (var gone in _orphanStops.Keys.Except(active.Select(r => r.RunId)).ToList()) _orphanStops.TryRemove(gone, out _);
        if (active.Count == 0) return 0;
        HashSet<string> knownRunIds, startingEnvironments;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var open = await db.TestRuns.Where(r => TestRunStates.Open.Contains(r.State))
                .Select(r => new { r.FrameworkRunId, r.State, r.Reservation!.Environment!.Key }).ToListAsync(ct);
            knownRunIds = open.Where(r => r.FrameworkRunId != null).Select(r => r.FrameworkRunId!).ToHashSet();
            startingEnvironments = open.Where(r => r.State == TestRunState.Starting).Select(r => r.Key).ToHashSet();
        }
        var orphans = active.Where(r => !knownRunIds.Contains(r.RunId) && !startingEnvironments.Contains(r.EnvironmentKey)).ToList();
        foreach (var orphan in orphans)
        {
            var now = Now;
            var force = _orphanStops.TryGetValue(orphan.RunId, out var askedAt);
            if (force && now - askedAt < Options.StopGracePeriod) continue; // still inside its grace period
            if (!force) _orphanStops[orphan.RunId] = now;
            LogOrphan(orphan.EnvironmentKey, orphan.RunId, force);
            try
            {
                await framework.StopRunAsync(orphan.EnvironmentKey, orphan.RunId, force, ct);
            }
            catch (TestFrameworkException e)
            {
                LogListFailed(e);
            }
            await using var db = await dbs.CreateDbContextAsync(ct);
            var environmentId = await db.Environments.Where(e => e.Key == orphan.EnvironmentKey).Select(e => (int?)e.Id).FirstOrDefaultAsync(ct);
            db.AuditEntries.Add(AuditEntry.For(Actor.System, AuditActions.RunOrphanStopped, force
                ? $"Run {orphan.RunId} on {orphan.EnvironmentKey} had no lease and did not stop within {Options.StopGracePeriod.TotalSeconds:0} s: force-stopped."
                : $"Run {orphan.RunId} on {orphan.EnvironmentKey} had no lease: asked it to stop.", clock, environmentId));
            await db.SaveChangesAsync(ct);
        }
        return orphans.Count;
    }

    private DateTime _lastPrune = DateTime.MinValue;

    /// <summary>Health history is pruned at most every ten minutes: a write per pass would be waste.</summary>
    private async Task<int> PruneAsync(CancellationToken ct)
    {
        if (Now - _lastPrune < TimeSpan.FromMinutes(10)) return 0;
        _lastPrune = Now;
        var before = Now - Options.HealthHistory;
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.HealthSamples.Where(s => s.AtUtc < before).ExecuteDeleteAsync(ct);
    }

    private async Task ForEachLimitedAsync(List<int> ids, Func<int, Task> action, CancellationToken ct)
    {
        if (ids.Count == 0) return;
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = Options.MaxParallelCalls, CancellationToken = ct },
            async (id, _) => await Guard(() => action(id)));
    }

    // One bad lease must not stop the pass for the others.
    private async Task Guard(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogStepFailed(e);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Supervise: {DueStarts} due starts, {OpenRuns} open runs, {Cleanups} cleanups, {Probes} probes, {Orphans} orphans in {Milliseconds} ms")]
    private partial void LogPass(int dueStarts, int openRuns, int cleanups, int probes, int orphans, double milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconcile: checked the jobs of {Count} live reservations")]
    private partial void LogReconciled(int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} on {EnvironmentKey} adopted after restart at {Progress}%")]
    private partial void LogAdopted(string runId, string environmentKey, int progress);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} on {EnvironmentKey}: no answer from the framework while adopting it")]
    private partial void LogAdoptionUnanswered(Exception exception, string runId, string environmentKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not list the framework's active runs")]
    private partial void LogListFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Orphan run {RunId} on {EnvironmentKey} has no lease: stopping it (force: {Force})")]
    private partial void LogOrphan(string environmentKey, string runId, bool force);

    [LoggerMessage(Level = LogLevel.Error, Message = "A supervise step failed")]
    private partial void LogStepFailed(Exception exception);
}
