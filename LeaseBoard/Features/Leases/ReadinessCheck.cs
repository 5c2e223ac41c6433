using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Framework;
using LeaseBoard.Features.LiveUpdates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Leases;

/// <summary>
/// The readiness check (<see cref="LeaseOptions.ReadinessLead"/> before each slot) and the probe at the start. Each probes
/// the environment through the framework (<see cref="EnvironmentCare.ProbeHealthAsync"/>: the resilience wrapper's
/// timeout, the reading recorded like any probe's). A failed probe — the framework says Unhealthy, or it threw or timed
/// out — or an environment taken out of service meanwhile moves the reservation through <see cref="ReservationRelocation"/>
/// (the slot guard; audited; the owner told by its event), else marks it at risk. A slow (Degraded) answer passes.
/// Both re-read the reservation and act only if it still calls for it, so a check fired twice, late, after a cancel or
/// after a move does no harm.
/// </summary>
public sealed partial class ReadinessCheck(
    IDbContextFactory<LeaseBoardDb> dbs,
    EnvironmentCare care,
    ReservationRelocation relocation,
    ILeaseTriggers jobs,
    IOptionsMonitor<LeaseOptions> options,
    TimeProvider clock,
    BoardEvents events,
    ILogger<ReadinessCheck> logger)
{
    /// <summary>The words that mark an outcome as the readiness check's (so a later passing check may clear its at-risk mark).</summary>
    public const string FailedPhrase = "failed its readiness check";

    private DateTime Now => clock.GetUtcNow().UtcDateTime;
    private TimeSpan Lead => options.CurrentValue.ReadinessLead;

    /// <summary>Whether a reservation's at-risk outcome was written by a readiness check.</summary>
    public static bool IsReadinessAtRisk(string? outcome) =>
        outcome is not null && outcome.StartsWith("At risk: ", StringComparison.Ordinal) && outcome.Contains(FailedPhrase, StringComparison.Ordinal);

    /// <summary>
    /// The readiness job, for the start it was scheduled for. A job of a reservation that is no longer scheduled, or whose
    /// start moved (its new start has its own job), does nothing; so does one that comes at the start (the start probes).
    /// </summary>
    public async Task CheckAsync(int reservationId, DateTime startUtc, CancellationToken ct)
    {
        if (Lead <= TimeSpan.Zero) return; // turned off after it was scheduled
        startUtc = startUtc.Kind == DateTimeKind.Local ? startUtc.ToUniversalTime() : DateTime.SpecifyKind(startUtc, DateTimeKind.Utc); // as the job storage gave it back
        var now = Now;
        var reservation = await ReadAsync(reservationId, ct);
        if (reservation is not { State: ReservationState.Scheduled } || reservation.StartUtc != startUtc || LeaseRules.IsDue(startUtc, now)) return;
        if (LeaseRules.IsEarly(startUtc - Lead, now))
        {
            jobs.ScheduleReadiness(reservationId, startUtc, startUtc - Lead); // fired early (or the lead grew): come back at its time
            return;
        }

        var environment = reservation.Environment!;
        var failure = await ProbeAsync(environment, ct);
        var current = await ReadAsync(reservationId, ct);
        // The probe may have quarantined the environment, and its upcoming reservations moved with it; or the owner moved it.
        if (current is not { State: ReservationState.Scheduled } || current.EnvironmentId != environment.Id || current.StartUtc != startUtc) return;

        if (failure is null)
        {
            await ClearAtRiskAsync(current, environment, ct);
            return;
        }
        var because = $"{environment.Name} {FailedPhrase} {LeaseRules.Describe(startUtc - now)} before your slot ({failure})";
        LogFailed(reservationId, environment.Key, because);
        // Already at risk (a second check): no second notice, but a move to an environment that became free is still worth one.
        await relocation.RelocateAsync([reservationId], environment, because, markAtRiskIfStuck: !current.AtRisk, ct,
            outcome: to => to is null
                ? $"At risk: {because}, and no other environment is free for this slot. It is checked again at the start; move it, or wait."
                : $"{because}; your reservation moved to {to}, same time.",
            onlyPassingProbes: true);
    }

    /// <summary>
    /// The probe at the start, before the claim (called by the start path for a reservation whose slot has come and whose
    /// environment is free). Passed → null, and an at-risk mark of a readiness check is cleared. Failed → the reservation
    /// moves to another environment free for its slot (the claim then starts it there) and null, or, with none free, the
    /// outcome to fail it with, as the start path does for an environment that is not usable.
    /// </summary>
    public async Task<UnusableAtStart?> AtStartAsync(int reservationId, CancellationToken ct)
    {
        if (Lead <= TimeSpan.Zero) return null;
        var now = Now;
        var reservation = await ReadAsync(reservationId, ct);
        if (reservation is not { State: ReservationState.Scheduled }) return null;
        var environment = reservation.Environment!;
        // Early, over, out of service or still busy: the claim decides those as before, and probes nothing.
        if (LeaseRules.DecideClaim(now, reservation.StartUtc, reservation.EndUtc, environment.IsBookable, environment.State) != ClaimStep.Claim) return null;

        var failure = await ProbeAsync(environment, ct);
        var current = await ReadAsync(reservationId, ct);
        if (current is not { State: ReservationState.Scheduled } || current.EnvironmentId != environment.Id) return null; // the claim reads it afresh
        if (failure is null)
        {
            await ClearAtRiskAsync(current, environment, ct);
            return null;
        }

        var because = $"{environment.Name} failed its health check at the start of your slot ({failure})";
        LogFailed(reservationId, environment.Key, because);
        var moved = await relocation.RelocateAsync([reservationId], environment, because, markAtRiskIfStuck: false, ct,
            outcome: to => $"{because}; your reservation moved to {to}, same time, and starts there.", onlyPassingProbes: true);
        return moved is [{ Moved: true }]
            ? null
            : new UnusableAtStart(environment.Id, Rules.Truncate($"Not started: {because}, and no other environment was free for the slot."));
    }

    /// <summary>Null when the environment passed; else how it failed, for the owner ("Health endpoint answered 503").</summary>
    private async Task<string?> ProbeAsync(TestEnvironment environment, CancellationToken ct)
    {
        if (!environment.IsBookable)
            return $"it is {environment.State.ToString().ToLowerInvariant()}: {Rules.Truncate(environment.QuarantineReason ?? "out of service", 200)}";
        var report = await care.ProbeHealthAsync(environment.Id, ct);
        return report.Status == HealthStatus.Unhealthy ? Rules.Truncate(report.Detail.TrimEnd('.'), 200) : null;
    }

    private async Task ClearAtRiskAsync(Reservation reservation, TestEnvironment environment, CancellationToken ct)
    {
        if (!reservation.AtRisk || !IsReadinessAtRisk(reservation.Outcome)) return;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var current = await db.Reservations.FirstOrDefaultAsync(r => r.Id == reservation.Id && r.Version == reservation.Version, ct);
        if (current is null) return; // changed meanwhile: the next check decides on fresh facts
        current.AtRisk = false;
        current.Outcome = $"{environment.Name} passed a later readiness check; no longer at risk.";
        current.UpdatedUtc = Now;
        db.AuditEntries.Add(AuditEntry.For(Actor.System, AuditActions.ReservationAtRiskCleared, current.Outcome, clock, current.EnvironmentId, current.Id));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return;
        }
        events.Publish(new ReservationChanged(current.Id, current.EnvironmentId, current.State, ReservationChange.AtRiskCleared));
    }

    private async Task<Reservation?> ReadAsync(int reservationId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Reservations.AsNoTracking().Include(r => r.Environment).FirstOrDefaultAsync(r => r.Id == reservationId, ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reservation {ReservationId}: {EnvironmentKey} is not ready ({Because}); moving it")]
    private partial void LogFailed(int reservationId, string environmentKey, string because);
}

/// <summary>The probe at the start failed and no other environment took the slot: the start fails it with <see cref="Outcome"/>.</summary>
public sealed record UnusableAtStart(int EnvironmentId, string Outcome);
