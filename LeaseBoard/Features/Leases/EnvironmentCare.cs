using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Framework;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Features.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Leases;

/// <summary>
/// Keeps environments usable: probes their health, cleans them after a lease, quarantines them when
/// they are sick, and moves their upcoming reservations elsewhere. Idempotent like the lease engine.
/// </summary>
public sealed partial class EnvironmentCare(
    IDbContextFactory<LeaseBoardDb> dbs,
    ITestFramework framework,
    IFaultInjection faults,
    ReservationRelocation relocation,
    ILeaseTriggers jobs,
    IOptionsMonitor<LeaseOptions> options,
    TimeProvider clock,
    BoardEvents events,
    LeaseBoardTelemetry telemetry,
    ILogger<EnvironmentCare> logger)
{
    private LeaseOptions Options => options.CurrentValue;
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>
    /// Probes one environment; slow → Degraded, N failures in a row → Unhealthy, Unhealthy and idle → quarantined.
    /// The quarantine is decided on the environment as it was when the probe began and written in the same save
    /// as the reading, under the environment's version: if it changed while the framework answered (an admin
    /// returned it, a lease took it, someone quarantined it), the reading is still recorded but quarantines nothing;
    /// the next probe decides on fresh facts.
    /// </summary>
    public async Task<HealthReport> ProbeHealthAsync(int environmentId, CancellationToken ct)
    {
        string key;
        Guid readVersion;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var read = await db.Environments.Where(e => e.Id == environmentId).Select(e => new { e.Key, e.Version }).FirstAsync(ct);
            (key, readVersion) = (read.Key, read.Version);
        }
        var report = await MeasureAsync(key, ct);

        for (var attempt = 0; attempt < 3; attempt++)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var environment = await db.Environments.FirstAsync(e => e.Id == environmentId, ct);
            var unchangedSinceRead = environment.Version == readVersion;
            var before = environment.Health;
            Record(db, environment, report);
            if (before != environment.Health)
                Audit(db, AuditActions.EnvironmentHealthChanged, environment, $"Health {before} → {environment.Health}: {report.Detail}");
            var quarantine = unchangedSinceRead && environment is { Health: HealthStatus.Unhealthy, State: EnvironmentState.Available };
            if (quarantine)
                MarkQuarantined(db, environment, $"Unhealthy: {environment.ConsecutiveHealthFailures} health checks in a row failed ({report.Detail})", Actor.System);
            if (!await SaveAsync(db, ct)) continue;
            Publish(environment);
            if (quarantine)
            {
                LogQuarantined(environment.Key, environment.QuarantineReason!);
                await RelocateUpcomingAsync(environment, ct);
            }
            return report;
        }
        return report;
    }

    /// <summary>Resets the environment after a lease and checks it; healthy → Available (and due leases start), else Quarantined.</summary>
    public async Task CleanupAsync(int environmentId, CancellationToken ct)
    {
        TestEnvironment environment;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            environment = await db.Environments.AsNoTracking().FirstAsync(e => e.Id == environmentId, ct);
            if (environment.State != EnvironmentState.CleaningUp) return; // already cleaned, or taken out of service
            // Mark the attempt, so the supervise pass retries only cleanups that really stalled.
            await db.Environments.Where(e => e.Id == environmentId).ExecuteUpdateAsync(s => s.SetProperty(e => e.StateSinceUtc, Now), ct);
        }

        try
        {
            await framework.ResetEnvironmentAsync(environment.Key, environment.FenceCounter, ct);
        }
        catch (TestFrameworkException e)
        {
            LogResetFailed(e, environment.Key);
            await BlameEnvironmentAsync(environmentId, $"its reset after the run failed: {e.Message}", ct);
            await QuarantineAsync(environmentId, $"Reset failed: {e.Message}", Actor.System, ct, onlyFrom: EnvironmentState.CleaningUp);
            return;
        }

        var report = await MeasureAsync(environment.Key, ct);
        // A health probe or an admin may save the environment meanwhile: then read it again and hand it on, rather
        // than leave it CleaningUp until the supervise pass retries the whole cleanup minutes later.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var current = await db.Environments.FirstAsync(e => e.Id == environmentId, ct);
            if (current.State != EnvironmentState.CleaningUp) return;
            Record(db, current, report);
            if (report.Status == HealthStatus.Unhealthy)
            {
                await SaveAsync(db, ct);
                await BlameEnvironmentAsync(environmentId, $"it was unhealthy after the run: {report.Detail}", ct);
                await QuarantineAsync(environmentId, $"Unhealthy after cleanup: {report.Detail}", Actor.System, ct, onlyFrom: EnvironmentState.CleaningUp);
                return;
            }
            if (await TooManyInfrastructureFailuresAsync(db, current, ct) is { } tooMany)
            {
                await SaveAsync(db, ct);
                await QuarantineAsync(environmentId, tooMany, Actor.System, ct, onlyFrom: EnvironmentState.CleaningUp);
                return;
            }
            current.State = EnvironmentState.Available;
            current.StateSinceUtc = Now;
            Audit(db, AuditActions.EnvironmentAvailable, current, $"Cleaned and healthy ({report.Latency.TotalMilliseconds:0} ms): available again.");
            if (!await SaveAsync(db, ct)) continue;
            Publish(current);
            LogAvailable(current.Key);
            await StartDueLeasesAsync(environmentId, ct);
            return;
        }
    }

    /// <summary>
    /// A test failure right before a failed cleanup was the environment's: the run is attributed to the infrastructure,
    /// and its owner's outcome says so (and the owner is told). Only the environment's latest ended run, and only once.
    /// </summary>
    private async Task BlameEnvironmentAsync(int environmentId, string why, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var run = await db.TestRuns.Include(r => r.Reservation).ThenInclude(r => r!.Environment)
            .Where(r => r.EnvironmentId == environmentId && r.EndedUtc != null).OrderByDescending(r => r.EndedUtc).ThenByDescending(r => r.Id)
            .FirstOrDefaultAsync(ct);
        if (run is null || !LeaseRules.EnvironmentFailedAfter(run.Attribution)) return;
        var reservation = run.Reservation!;
        var sentence = $"{LeaseRules.InfrastructureSentence(reservation.Environment!.Name)} (It {why}.)";
        run.Attribution = RunAttribution.Infrastructure;
        run.Detail = Rules.Truncate($"{run.Detail} {sentence}");
        reservation.Outcome = Rules.Truncate($"{reservation.Outcome} {sentence}");
        reservation.UpdatedUtc = Now;
        db.AuditEntries.Add(AuditEntry.For(Actor.System, AuditActions.RunAttributed,
            $"'{reservation.Title}' of {reservation.OwnerName}: the failure is the environment's, not the test's ({why}).", clock, environmentId));
        if (!await SaveAsync(db, ct)) return;
        telemetry.InfrastructureFailure(reservation.Environment.Key);
        events.Publish(new ReservationChanged(reservation.Id, reservation.EnvironmentId, reservation.State, ReservationChange.Ended));
    }

    /// <summary>
    /// The automatic quarantine: the reason when too many of the environment's runs since it last came back into service
    /// failed through the infrastructure (<see cref="LeaseOptions.AutoQuarantineInfrastructureFailures"/> of the last
    /// <see cref="LeaseOptions.AutoQuarantineWindowRuns"/>); null when it may go back into service.
    /// </summary>
    private async Task<string?> TooManyInfrastructureFailuresAsync(LeaseBoardDb db, TestEnvironment environment, CancellationToken ct)
    {
        var (window, threshold) = (Options.AutoQuarantineWindowRuns, Options.AutoQuarantineInfrastructureFailures);
        if (threshold == 0) return null;
        // Runs before its last quarantine were judged then: a returned environment starts afresh.
        var since = await db.AuditEntries.Where(a => a.EnvironmentId == environment.Id && a.Action == AuditActions.EnvironmentQuarantined)
            .MaxAsync(a => (DateTime?)a.AtUtc, ct) ?? DateTime.MinValue;
        var recent = await db.TestRuns.Where(r => r.EnvironmentId == environment.Id && r.EndedUtc != null && r.EndedUtc > since)
            .OrderByDescending(r => r.EndedUtc).ThenByDescending(r => r.Id).Take(window).Select(r => r.Attribution).ToListAsync(ct);
        if (!LeaseRules.TooManyInfrastructureFailures(recent, window, threshold)) return null;
        var failed = recent.Count(a => a == RunAttribution.Infrastructure);
        return $"Automatic: {failed} of its last {recent.Count} runs failed through the environment (the threshold is {threshold} of {window}); " +
               "look at its runs on the reliability page, then return it to service.";
    }

    /// <summary>
    /// Takes an environment out of service. Its upcoming reservations move to a healthy environment
    /// free for the same slot, or are marked at risk with a message for the owner.
    /// </summary>
    /// <returns>What became of each upcoming reservation, or null when the environment was not quarantined (it already was, or was retired).</returns>
    /// <param name="alongside">Adds rows (an admin's audit entry) to the same save as the quarantine, so they stand or fall with it.</param>
    public async Task<IReadOnlyList<Relocation>?> QuarantineAsync(int environmentId, string reason, Actor by, CancellationToken ct, EnvironmentState? onlyFrom = null,
        Action<LeaseBoardDb>? alongside = null)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var environment = await db.Environments.FirstAsync(e => e.Id == environmentId, ct);
            if (environment.State is EnvironmentState.Quarantined or EnvironmentState.Retired) return null;
            if (onlyFrom is { } expected && environment.State != expected) return null;
            MarkQuarantined(db, environment, reason, by);
            alongside?.Invoke(db);
            if (!await SaveAsync(db, ct)) continue;
            Publish(environment);
            LogQuarantined(environment.Key, reason);
            return await RelocateUpcomingAsync(environment, ct);
        }
        return null;
    }

    private void MarkQuarantined(LeaseBoardDb db, TestEnvironment environment, string reason, Actor by)
    {
        environment.State = EnvironmentState.Quarantined;
        environment.StateSinceUtc = Now;
        environment.QuarantineReason = reason.Length > 1000 ? reason[..1000] : reason;
        environment.QuarantinedBy = by.Id;
        environment.QuarantinedAtUtc = Now;
        Audit(db, AuditActions.EnvironmentQuarantined, environment, reason, by);
    }

    /// <summary>Moves each upcoming reservation of a quarantined environment to another one free for the same slot, or marks it at risk.</summary>
    public async Task<IReadOnlyList<Relocation>> RelocateUpcomingAsync(TestEnvironment quarantined, CancellationToken ct) =>
        await relocation.RelocateAsync(await relocation.UpcomingOnAsync(quarantined.Id, ct), quarantined,
            $"quarantined: {quarantined.QuarantineReason}", markAtRiskIfStuck: true, ct);

    /// <summary>Resets a quarantined environment in the framework; it stays out of service until returned. Null when it worked, else why not.</summary>
    public async Task<string?> ResetQuarantinedAsync(TestEnvironment environment, CancellationToken ct)
    {
        try
        {
            await framework.ResetEnvironmentAsync(environment.Key, environment.FenceCounter, ct);
            return null;
        }
        catch (TestFrameworkException e)
        {
            return e.Message;
        }
    }

    /// <summary>Whether faults can be played into the framework here (the simulated driver only).</summary>
    public bool CanInjectFaults => faults.Available;

    /// <summary>The faults the framework plays for an environment now (none where it cannot inject faults).</summary>
    public FaultProfile FaultsOf(string environmentKey) => faults.FaultsOf(environmentKey);

    /// <summary>Plays faults into the framework for one environment (demos, drills); true when its current run was also made to hang.</summary>
    public bool InjectFaults(TestEnvironment environment, FaultProfile profile, bool hangCurrentRun)
    {
        faults.SetFaults(environment.Key, profile);
        return hangCurrentRun && faults.HangCurrentRun(environment.Key);
    }

    /// <summary>Reservations on this environment whose slot has begun start now (the environment was busy at their start).</summary>
    public async Task StartDueLeasesAsync(int environmentId, CancellationToken ct)
    {
        var due = Now + LeaseEngine.EarlyFireTolerance;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var ids = await db.Reservations.Where(r => r.EnvironmentId == environmentId && r.State == ReservationState.Scheduled && r.StartUtc <= due)
            .OrderBy(r => r.StartUtc).Select(r => r.Id).ToListAsync(ct);
        foreach (var id in ids) jobs.ScheduleRunCheck(id, Now);
    }

    private async Task<HealthReport> MeasureAsync(string key, CancellationToken ct)
    {
        var started = clock.GetTimestamp();
        try
        {
            return await framework.CheckHealthAsync(key, ct);
        }
        catch (TestFrameworkException e)
        {
            return new HealthReport(HealthStatus.Unhealthy, clock.GetElapsedTime(started), e.Message);
        }
    }

    private void Record(LeaseBoardDb db, TestEnvironment environment, HealthReport report)
    {
        var failed = report.Status == HealthStatus.Unhealthy;
        environment.ConsecutiveHealthFailures = failed ? environment.ConsecutiveHealthFailures + 1 : 0;
        environment.Health = failed
            ? environment.ConsecutiveHealthFailures >= Options.UnhealthyAfterFailures ? HealthStatus.Unhealthy : HealthStatus.Degraded
            : report.Latency > Options.DegradedLatency ? HealthStatus.Degraded : HealthStatus.Healthy;
        environment.LastHealthCheckUtc = Now;
        environment.HealthLatencyMs = (int)Math.Min(int.MaxValue, report.Latency.TotalMilliseconds);
        environment.HealthDetail = failed || environment.Health == HealthStatus.Healthy
            ? Rules.Truncate(report.Detail)
            : $"Slow: {report.Latency.TotalMilliseconds:0} ms (over {Options.DegradedLatency.TotalMilliseconds:0} ms).";
        db.HealthSamples.Add(new HealthSample
        {
            EnvironmentId = environment.Id, AtUtc = Now, Status = environment.Health, LatencyMs = environment.HealthLatencyMs ?? 0,
        });
    }

    private async Task<bool> SaveAsync(LeaseBoardDb db, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateConcurrencyException)
        {
            return false;
        }
    }

    private void Audit(LeaseBoardDb db, string action, TestEnvironment environment, string details, Actor? by = null) =>
        db.AuditEntries.Add(AuditEntry.For(by ?? Actor.System, action, details, clock, environment.Id));

    private void Publish(TestEnvironment environment) =>
        events.Publish(EnvironmentChanged.Of(environment));


    [LoggerMessage(Level = LogLevel.Warning, Message = "Reset of {EnvironmentKey} failed")]
    private partial void LogResetFailed(Exception exception, string environmentKey);

    [LoggerMessage(Level = LogLevel.Information, Message = "{EnvironmentKey} is clean and available")]
    private partial void LogAvailable(string environmentKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{EnvironmentKey} quarantined: {Reason}")]
    private partial void LogQuarantined(string environmentKey, string reason);
}
