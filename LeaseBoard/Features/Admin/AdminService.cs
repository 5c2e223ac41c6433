using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Framework;
using LeaseBoard.Features.Leases;
using LeaseBoard.Features.LiveUpdates;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Features.Admin;

/// <summary>
/// The admin actions. Each one authorises on the server (the <see cref="Actor"/> comes from the
/// server-side principal; a non-admin gets <see cref="AdminResult.Forbidden"/> and nothing changes),
/// requires a reason, and writes one audit entry with the reason and what happened — also when two
/// admins act at once and the second finds nothing left to do.
/// </summary>
public sealed partial class AdminService(
    IDbContextFactory<LeaseBoardDb> dbs,
    LeaseEngine engine,
    EnvironmentCare care,
    MaintenanceWindows maintenance,
    TimeProvider clock,
    BoardEvents events,
    ILogger<AdminService> logger)
{
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public bool UsesSimulatedFramework => care.CanInjectFaults;

    /// <summary>The faults the framework plays for an environment now, to start the fault dialog from.</summary>
    public FaultProfile FaultsOf(string environmentKey) => care.FaultsOf(environmentKey);

    public Task<AdminResult> ForceReleaseAsync(Actor actor, int environmentId, string reason, CancellationToken ct = default) =>
        ActAsync(actor, environmentId, reason, AuditActions.AdminForceRelease, ct, async environment =>
        {
            var current = await CurrentLeaseIdAsync(environment.Id, ct);
            if (current is null) return AdminResult.Refused($"Nothing to force-release: no lease is running on {environment.Name}.");
            var released = await engine.ForceReleaseAsync(current.Value, reason, actor, ct);
            return released.Done ? AdminResult.Done(released.Message) : AdminResult.Refused(released.Message);
        });

    public Task<AdminResult> QuarantineAsync(Actor actor, int environmentId, string reason, bool andForceRelease, CancellationToken ct = default) =>
        ActAsync(actor, environmentId, reason, AuditActions.AdminQuarantine, ct, async environment =>
        {
            var released = "";
            if (andForceRelease && await CurrentLeaseIdAsync(environment.Id, ct) is { } lease)
                released = " " + (await engine.ForceReleaseAsync(lease, reason, actor, ct)).Message;
            var relocations = await care.QuarantineAsync(environment.Id, reason, actor, ct);
            if (relocations is null)
                return AdminResult.Refused($"{environment.Name} is already {(await StateOfAsync(environment.Id, ct)).ToString().ToLowerInvariant()}.{released}");
            var leaseNote = andForceRelease || await CurrentLeaseIdAsync(environment.Id, ct) is null ? "" : " The running lease was left alone.";
            var upcoming = relocations.Count == 0
                ? "It had no upcoming reservations."
                : $"Its upcoming reservations: {string.Join("; ", relocations.Select(r => r.Describe()))}.";
            return AdminResult.Done($"{environment.Name} quarantined. {upcoming}{released}{leaseNote}");
        });

    public Task<AdminResult> ReturnToServiceAsync(Actor actor, int environmentId, string reason, bool evenIfUnhealthy, CancellationToken ct = default) =>
        ActAsync(actor, environmentId, reason, AuditActions.AdminReturn, ct, async environment =>
        {
            if (environment.State != EnvironmentState.Quarantined)
                return AdminResult.Refused($"{environment.Name} is {environment.State.ToString().ToLowerInvariant()}, not quarantined.");
            var report = await care.ProbeHealthAsync(environment.Id, ct);
            if (report.Status == HealthStatus.Unhealthy && !evenIfUnhealthy)
                return AdminResult.Refused($"{environment.Name} stays quarantined: its health check failed ({report.Detail}). Fix it, or return it anyway.");

            await using var db = await dbs.CreateDbContextAsync(ct);
            var current = await db.Environments.FirstAsync(e => e.Id == environment.Id, ct);
            if (current.State != EnvironmentState.Quarantined) return AdminResult.Refused($"{environment.Name} was changed meanwhile: it is {current.State}.");
            var leased = await db.TestRuns.AnyAsync(r => r.EnvironmentId == environment.Id && TestRunStates.Open.Contains(r.State), ct);
            current.State = leased ? EnvironmentState.Leased : EnvironmentState.Available;
            current.StateSinceUtc = Now;
            current.QuarantineReason = current.QuarantinedBy = null;
            current.QuarantinedAtUtc = null;
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateConcurrencyException)
            {
                return AdminResult.Refused($"{environment.Name} was changed meanwhile; look again and retry.");
            }
            // Its reservations are no longer at risk.
            await db.Reservations.Where(r => r.EnvironmentId == environment.Id && r.AtRisk && r.State == ReservationState.Scheduled)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.AtRisk, false).SetProperty(r => r.Version, Guid.NewGuid()), ct);
            events.Publish(EnvironmentChanged.Of(current));
            await care.StartDueLeasesAsync(environment.Id, ct);
            return AdminResult.Done($"{environment.Name} is back in service ({current.State.ToString().ToLowerInvariant()}); health {report.Status} ({report.Latency.TotalMilliseconds:0} ms)." +
                                    (report.Status == HealthStatus.Unhealthy ? " Returned although unhealthy, as asked." : ""));
        });

    public Task<AdminResult> CheckHealthAsync(Actor actor, int environmentId, string reason, CancellationToken ct = default) =>
        ActAsync(actor, environmentId, reason, AuditActions.AdminCheckHealth, ct, async environment =>
        {
            var report = await care.ProbeHealthAsync(environment.Id, ct);
            return AdminResult.Done($"{environment.Name}: {report.Status}, {report.Latency.TotalMilliseconds:0} ms — {report.Detail}");
        });

    public Task<AdminResult> CleanupAsync(Actor actor, int environmentId, string reason, CancellationToken ct = default) =>
        ActAsync(actor, environmentId, reason, AuditActions.AdminCleanup, ct, async environment =>
        {
            switch (environment.State)
            {
                case EnvironmentState.Leased:
                    return AdminResult.Refused($"{environment.Name} is leased: force-release the lease first, which cleans it up.");
                case EnvironmentState.Retired:
                    return AdminResult.Refused($"{environment.Name} is retired.");
                case EnvironmentState.Quarantined:
                    // A quarantined environment is reset but stays out of service until returned.
                    return await care.ResetQuarantinedAsync(environment, ct) is { } failure
                        ? AdminResult.Refused($"Reset of {environment.Name} failed: {failure}")
                        : AdminResult.Done($"{environment.Name} was reset; it stays quarantined until returned to service.");
                case EnvironmentState.Available:
                    await using (var db = await dbs.CreateDbContextAsync(ct))
                    {
                        var moved = await db.Environments.Where(e => e.Id == environment.Id && e.State == EnvironmentState.Available)
                            .ExecuteUpdateAsync(s => s.SetProperty(e => e.State, EnvironmentState.CleaningUp).SetProperty(e => e.StateSinceUtc, Now)
                                .SetProperty(e => e.Version, Guid.NewGuid()), ct);
                        if (moved == 0) return AdminResult.Refused($"{environment.Name} changed meanwhile; look again and retry.");
                    }
                    break;
            }
            await care.CleanupAsync(environment.Id, ct);
            var after = await StateOfAsync(environment.Id, ct);
            return after == EnvironmentState.Available
                ? AdminResult.Done($"{environment.Name} was cleaned up and is available.")
                : AdminResult.Refused($"Cleanup of {environment.Name} did not make it available: it is {after.ToString().ToLowerInvariant()}.");
        });

    /// <summary>Blocks <c>[startUtc, endUtc)</c> on the environment; reservations in the way refuse it unless moved or cancelled (their owners are told).</summary>
    public Task<AdminResult> BlockMaintenanceAsync(Actor actor, int environmentId, DateTime startUtc, DateTime endUtc, string reason,
        MaintenanceConflicts conflicts, CancellationToken ct = default) =>
        ActAsync(actor, environmentId, reason, AuditActions.AdminMaintenance, ct, async environment =>
            From(await maintenance.BlockAsync(environment, startUtc, endUtc, reason, conflicts, actor, ct)));

    /// <summary>Removes the environment's next maintenance window, or ends the one going on now.</summary>
    public Task<AdminResult> EndMaintenanceAsync(Actor actor, int environmentId, string reason, CancellationToken ct = default) =>
        ActAsync(actor, environmentId, reason, AuditActions.AdminMaintenanceEnded, ct, async environment =>
            From(await maintenance.EndAsync(environment, ct)));

    /// <summary>Sets the simulated framework's faults for one environment (demos, drills).</summary>
    public Task<AdminResult> SetFaultsAsync(Actor actor, int environmentId, FaultProfile faults, bool hangCurrentRun, string reason, CancellationToken ct = default) =>
        ActAsync(actor, environmentId, reason, AuditActions.AdminFaults, ct, environment =>
        {
            if (!care.CanInjectFaults) return Task.FromResult(AdminResult.Refused("Faults can only be injected into the simulated test framework."));
            var hung = care.InjectFaults(environment, faults, hangCurrentRun) ? " Its current run now hangs." : "";
            return Task.FromResult(AdminResult.Done($"{environment.Name} now plays: {faults.Describe()}.{hung}"));
        });

    private async Task<AdminResult> ActAsync(Actor actor, int environmentId, string reason, string action, CancellationToken ct,
        Func<TestEnvironment, Task<AdminResult>> act)
    {
        if (!actor.IsAdmin)
        {
            LogRefused(actor.Id, action, environmentId);
            return AdminResult.Forbidden();
        }
        reason = reason?.Trim() ?? "";
        if (reason.Length == 0) return AdminResult.Invalid("A reason is required.");
        if (reason.Length > Rules.ReasonMaxLength) return AdminResult.Invalid($"A reason has at most {Rules.ReasonMaxLength} characters.");

        TestEnvironment? environment;
        await using (var db = await dbs.CreateDbContextAsync(ct))
            environment = await db.Environments.AsNoTracking().FirstOrDefaultAsync(e => e.Id == environmentId, ct);
        if (environment is null) return AdminResult.NotFound(environmentId);

        var result = await act(environment);
        if (result.Outcome != AdminOutcome.Invalid)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            db.AuditEntries.Add(AuditEntry.For(actor, action,
                $"{actor.DisplayName} on {environment.Name}. Reason: {reason} Outcome: {(result.Succeeded ? "done" : "refused")} — {result.Message}", clock, environment.Id));
            await db.SaveChangesAsync(ct);
        }
        LogActed(actor.Id, action, environment.Key, result.Outcome);
        return result;
    }

    private static AdminResult From(MaintenanceResult result) =>
        result.Done ? AdminResult.Done(result.Message)
        : result.Invalid ? AdminResult.Invalid(result.Message)
        : AdminResult.Refused(result.Message, result.InTheWay);

    private async Task<int?> CurrentLeaseIdAsync(int environmentId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Reservations.Where(r => r.EnvironmentId == environmentId && (r.State == ReservationState.Active || r.State == ReservationState.Releasing))
            .OrderByDescending(r => r.StartUtc).Select(r => (int?)r.Id).FirstOrDefaultAsync(ct);
    }

    private async Task<EnvironmentState> StateOfAsync(int environmentId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Environments.Where(e => e.Id == environmentId).Select(e => e.State).FirstAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Action} on environment {EnvironmentId} to non-admin {UserId}")]
    private partial void LogRefused(string userId, string action, int environmentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{UserId}: {Action} on {EnvironmentKey} → {Outcome}")]
    private partial void LogActed(string userId, string action, string environmentKey, AdminOutcome outcome);
}
