using System.Diagnostics;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Framework;
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
    ILeaseJobs jobs,
    IOptionsMonitor<LeaseOptions> options,
    TimeProvider clock,
    ILogger<LeaseSupervisor> logger)
{
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
            var open = await db.TestRuns.Where(r => TestRunStates.Open.Contains(r.State))
                .Select(r => new { r.ReservationId, r.FrameworkRunId, r.State, r.EnvironmentId }).ToListAsync(ct);
            openRuns = open.Select(r => r.ReservationId).Distinct().ToList();

            var environments = await db.Environments.Where(e => e.State != EnvironmentState.Retired)
                .Select(e => new { e.Id, e.Key, e.State, e.StateSinceUtc, e.LastHealthCheckUtc }).ToListAsync(ct);
            var openEnvironmentIds = open.Select(r => r.EnvironmentId).ToHashSet();

            // A lease whose run ended without the environment being handed on (a crash between the two saves).
            var strandedLeases = environments.Where(e => e.State == EnvironmentState.Leased && !openEnvironmentIds.Contains(e.Id)).Select(e => e.Id).ToList();
            if (strandedLeases.Count > 0)
                await db.Environments.Where(e => strandedLeases.Contains(e.Id) && e.State == EnvironmentState.Leased)
                    .ExecuteUpdateAsync(s => s.SetProperty(e => e.State, EnvironmentState.CleaningUp).SetProperty(e => e.StateSinceUtc, (DateTime?)null)
                        .SetProperty(e => e.Version, Guid.NewGuid()), ct);

            stalledCleanups = environments.Where(e => strandedLeases.Contains(e.Id) ||
                    (e.State == EnvironmentState.CleaningUp && (e.StateSinceUtc is null || now - e.StateSinceUtc >= Options.CleanupRetryAfter)))
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

        var result = new SupervisePassResult(dueStarts.Count, openRuns.Count, stalledCleanups.Count, probes.Count, orphans, pruned,
            Stopwatch.GetElapsedTime(started));
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
    /// After a restart: recreate the delayed jobs the job storage lost, then supervise once — adopt runs
    /// still going, start missed slots still open, close overdue ones.
    /// </summary>
    public async Task<SupervisePassResult> ReconcileAsync(CancellationToken ct)
    {
        var now = Now;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var live = await db.Reservations.Where(r => (r.State == ReservationState.Scheduled && r.StartUtc > now)
                                                        || (r.State == ReservationState.Active && r.EndUtc > now))
                .Select(r => new { r.Id, r.State, r.StartUtc, r.EndUtc, r.StartJobId, r.DeadlineJobId }).ToListAsync(ct);
            foreach (var reservation in live)
            {
                var startJob = reservation.StartJobId;
                var deadlineJob = reservation.DeadlineJobId;
                if (reservation.State == ReservationState.Scheduled && (startJob is null || !jobs.IsPending(startJob)))
                    startJob = jobs.ScheduleStart(reservation.Id, reservation.StartUtc);
                if (deadlineJob is null || !jobs.IsPending(deadlineJob))
                    deadlineJob = jobs.ScheduleDeadline(reservation.Id, reservation.EndUtc);
                if (startJob != reservation.StartJobId || deadlineJob != reservation.DeadlineJobId)
                    await db.Reservations.Where(r => r.Id == reservation.Id)
                        .ExecuteUpdateAsync(s => s.SetProperty(r => r.StartJobId, startJob).SetProperty(r => r.DeadlineJobId, deadlineJob), ct);
            }
            LogReconciled(live.Count);
        }
        return await SuperviseAsync(ct);
    }

    /// <summary>
    /// Stops runs the framework reports that no open lease owns. The framework is asked first and the
    /// database second, so a run started meanwhile is either missing from the list or already known;
    /// an environment with a run still being started is left alone.
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
            LogOrphan(orphan.EnvironmentKey, orphan.RunId);
            try
            {
                await framework.StopRunAsync(orphan.EnvironmentKey, orphan.RunId, force: true, ct);
            }
            catch (TestFrameworkException e)
            {
                LogListFailed(e);
            }
            await using var db = await dbs.CreateDbContextAsync(ct);
            var environmentId = await db.Environments.Where(e => e.Key == orphan.EnvironmentKey).Select(e => (int?)e.Id).FirstOrDefaultAsync(ct);
            db.AuditEntries.Add(new AuditEntry
            {
                AtUtc = Now, Actor = AuditEntry.SystemActor, Action = AuditActions.RunOrphanStopped, EnvironmentId = environmentId,
                Details = $"Run {orphan.RunId} on {orphan.EnvironmentKey} had no lease and was stopped.",
            });
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not list the framework's active runs")]
    private partial void LogListFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Orphan run {RunId} on {EnvironmentKey} has no lease: stopping it")]
    private partial void LogOrphan(string environmentKey, string runId);

    [LoggerMessage(Level = LogLevel.Error, Message = "A supervise step failed")]
    private partial void LogStepFailed(Exception exception);
}
