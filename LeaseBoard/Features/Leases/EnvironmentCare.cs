using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Framework;
using LeaseBoard.Features.LiveUpdates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Leases;

/// <summary>What became of one upcoming reservation of a quarantined environment: moved to <see cref="MovedTo"/>, or at risk.</summary>
public sealed record Relocation(int ReservationId, string Title, string OwnerName, DateTime StartUtc, string From, string? MovedTo)
{
    public string Describe() => MovedTo is { } to ? $"'{Title}' of {OwnerName} moved from {From} to {to}" : $"'{Title}' of {OwnerName} at risk (no environment free for its slot)";
}

/// <summary>
/// Keeps environments usable: probes their health, cleans them after a lease, quarantines them when
/// they are sick, and moves their upcoming reservations elsewhere. Idempotent like the lease engine.
/// </summary>
public sealed partial class EnvironmentCare(
    IDbContextFactory<LeaseBoardDb> dbs,
    ITestFramework framework,
    BookingService booking,
    ILeaseJobs jobs,
    IOptionsMonitor<LeaseOptions> options,
    TimeProvider clock,
    BoardEvents events,
    ILogger<EnvironmentCare> logger)
{
    private LeaseOptions Options => options.CurrentValue;
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>Probes one environment; slow → Degraded, N failures in a row → Unhealthy, Unhealthy and idle → quarantined.</summary>
    public async Task<HealthReport> ProbeHealthAsync(int environmentId, CancellationToken ct)
    {
        string key;
        await using (var db = await dbs.CreateDbContextAsync(ct))
            key = await db.Environments.Where(e => e.Id == environmentId).Select(e => e.Key).FirstAsync(ct);
        var report = await MeasureAsync(key, ct);

        for (var attempt = 0; attempt < 3; attempt++)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var environment = await db.Environments.FirstAsync(e => e.Id == environmentId, ct);
            var before = environment.Health;
            Record(db, environment, report);
            if (before != environment.Health)
                Audit(db, AuditActions.EnvironmentHealthChanged, environment, $"Health {before} → {environment.Health}: {report.Detail}");
            if (!await SaveAsync(db, ct)) continue;
            Publish(environment);

            if (environment is { Health: HealthStatus.Unhealthy, State: EnvironmentState.Available })
                await QuarantineAsync(environmentId,
                    $"Unhealthy: {environment.ConsecutiveHealthFailures} health checks in a row failed ({report.Detail})", AuditEntry.SystemActor, ct);
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
            await QuarantineAsync(environmentId, $"Reset failed: {e.Message}", AuditEntry.SystemActor, ct, onlyFrom: EnvironmentState.CleaningUp);
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
                await QuarantineAsync(environmentId, $"Unhealthy after cleanup: {report.Detail}", AuditEntry.SystemActor, ct, onlyFrom: EnvironmentState.CleaningUp);
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
    /// Takes an environment out of service. Its upcoming reservations move to a healthy environment
    /// free for the same slot, or are marked at risk with a message for the owner.
    /// </summary>
    /// <returns>What became of each upcoming reservation, or null when the environment was not quarantined (it already was, or was retired).</returns>
    public async Task<IReadOnlyList<Relocation>?> QuarantineAsync(int environmentId, string reason, string by, CancellationToken ct, EnvironmentState? onlyFrom = null)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var environment = await db.Environments.FirstAsync(e => e.Id == environmentId, ct);
            if (environment.State is EnvironmentState.Quarantined or EnvironmentState.Retired) return null;
            if (onlyFrom is { } expected && environment.State != expected) return null;
            environment.State = EnvironmentState.Quarantined;
            environment.StateSinceUtc = Now;
            environment.QuarantineReason = reason.Length > 1000 ? reason[..1000] : reason;
            environment.QuarantinedBy = by;
            environment.QuarantinedAtUtc = Now;
            Audit(db, AuditActions.EnvironmentQuarantined, environment, reason, by);
            if (!await SaveAsync(db, ct)) continue;
            Publish(environment);
            LogQuarantined(environment.Key, reason);
            return await RelocateUpcomingAsync(environment, ct);
        }
        return null;
    }

    /// <summary>Moves each upcoming reservation of a quarantined environment to another one free for the same slot, or marks it at risk.</summary>
    public async Task<IReadOnlyList<Relocation>> RelocateUpcomingAsync(TestEnvironment quarantined, CancellationToken ct)
    {
        var now = Now;
        List<Reservation> upcoming;
        List<int> others;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            upcoming = await db.Reservations.AsNoTracking()
                .Where(r => r.EnvironmentId == quarantined.Id && r.State == ReservationState.Scheduled && r.EndUtc > now)
                .OrderBy(r => r.StartUtc).ToListAsync(ct);
            others = await db.Environments.Where(e => e.Id != quarantined.Id && e.State != EnvironmentState.Quarantined
                                                      && e.State != EnvironmentState.Retired && e.Health != HealthStatus.Unhealthy)
                .OrderBy(e => e.SortOrder).Select(e => e.Id).ToListAsync(ct);
        }

        var relocations = new List<Relocation>();
        foreach (var reservation in upcoming)
        {
            BookingResult? moved = null;
            foreach (var target in others)
            {
                var result = await booking.MoveAsync(reservation.Id, target, reservation.StartUtc, reservation.EndUtc, Actor.System, ct);
                if (result.Succeeded) { moved = result; break; }
            }
            await using var db = await dbs.CreateDbContextAsync(ct);
            var current = await db.Reservations.FirstAsync(r => r.Id == reservation.Id, ct);
            if (moved?.Reservation is { } relocated)
            {
                current.Outcome = $"Moved from {quarantined.Name} (quarantined: {quarantined.QuarantineReason}) to {relocated.Environment?.Name}.";
                Audit(db, AuditActions.ReservationRelocated, current, current.Outcome, AuditEntry.SystemActor, reservationId: current.Id);
            }
            else
            {
                current.AtRisk = true;
                current.Outcome = $"At risk: {quarantined.Name} is quarantined ({quarantined.QuarantineReason}) and no other environment is free for this slot. Move it, or wait for {quarantined.Name} to return.";
                Audit(db, AuditActions.ReservationAtRisk, current, current.Outcome, AuditEntry.SystemActor, reservationId: current.Id);
            }
            if (await SaveAsync(db, ct))
                events.Publish(new ReservationChanged(current.Id, current.EnvironmentId, current.State, current.AtRisk ? "at-risk" : "relocated"));
            relocations.Add(new Relocation(reservation.Id, reservation.Title, reservation.OwnerName, reservation.StartUtc, quarantined.Name,
                moved?.Reservation?.Environment?.Name));
        }
        return relocations;
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

    private void Audit(LeaseBoardDb db, string action, TestEnvironment environment, string details, string actor = AuditEntry.SystemActor) =>
        db.AuditEntries.Add(new AuditEntry { AtUtc = Now, Actor = actor, Action = action, EnvironmentId = environment.Id, Details = Rules.Truncate(details, 2000) });

    private void Audit(LeaseBoardDb db, string action, Reservation reservation, string details, string actor, int reservationId) =>
        db.AuditEntries.Add(new AuditEntry
        {
            AtUtc = Now, Actor = actor, Action = action, EnvironmentId = reservation.EnvironmentId, ReservationId = reservationId, Details = Rules.Truncate(details, 2000),
        });

    private void Publish(TestEnvironment environment) =>
        events.Publish(EnvironmentChanged.Of(environment));


    [LoggerMessage(Level = LogLevel.Warning, Message = "Reset of {EnvironmentKey} failed")]
    private partial void LogResetFailed(Exception exception, string environmentKey);

    [LoggerMessage(Level = LogLevel.Information, Message = "{EnvironmentKey} is clean and available")]
    private partial void LogAvailable(string environmentKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{EnvironmentKey} quarantined: {Reason}")]
    private partial void LogQuarantined(string environmentKey, string reason);
}
