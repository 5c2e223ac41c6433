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
/// admins act at once and the second finds nothing left to do. Where an action changes the database, its
/// audit entry is written in the same save as the change (see <see cref="AdminAudit"/>): a change that
/// fails leaves no entry claiming it was done, and one that is done always has its entry, even if a later
/// step (relocating reservations, starting due leases) then fails.
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
        ActAsync(actor, environmentId, reason, AuditActions.AdminForceRelease, ct, async (environment, audit) =>
        {
            var current = await CurrentLeaseIdAsync(environment.Id, ct);
            if (current is null) return AdminResult.Refused($"Nothing to force-release: no lease is running on {environment.Name}.");
            var released = await engine.ForceReleaseAsync(current.Value, audit.Reason, actor, ct,
                alongside: (db, message) => audit.AddTo(db, AdminResult.Done(message)));
            return released.Done ? AdminResult.Done(released.Message) : AdminResult.Refused(released.Message);
        });

    public Task<AdminResult> QuarantineAsync(Actor actor, int environmentId, string reason, bool andForceRelease, CancellationToken ct = default) =>
        ActAsync(actor, environmentId, reason, AuditActions.AdminQuarantine, ct, async (environment, audit) =>
        {
            var released = "";
            if (andForceRelease && await CurrentLeaseIdAsync(environment.Id, ct) is { } lease)
                released = " " + (await engine.ForceReleaseAsync(lease, audit.Reason, actor, ct)).Message;
            var relocations = await care.QuarantineAsync(environment.Id, audit.Reason, actor, ct,
                alongside: db => audit.AddTo(db, AdminResult.Done($"{environment.Name} quarantined; its upcoming reservations are moved or marked at risk.{released}")));
            if (relocations is null)
                return AdminResult.Refused($"{environment.Name} is already {(await StateOfAsync(environment.Id, ct)).ToString().ToLowerInvariant()}.{released}");
            var leaseNote = andForceRelease || await CurrentLeaseIdAsync(environment.Id, ct) is null ? "" : " The running lease was left alone.";
            var upcoming = relocations.Count == 0
                ? "It had no upcoming reservations."
                : $"Its upcoming reservations: {string.Join("; ", relocations.Select(r => r.Describe()))}.";
            return AdminResult.Done($"{environment.Name} quarantined. {upcoming}{released}{leaseNote}");
        });

    public Task<AdminResult> ReturnToServiceAsync(Actor actor, int environmentId, string reason, bool evenIfUnhealthy, CancellationToken ct = default) =>
        ActAsync(actor, environmentId, reason, AuditActions.AdminReturn, ct, async (environment, audit) =>
        {
            if (environment.State != EnvironmentState.Quarantined)
                return AdminResult.Refused($"{environment.Name} is {environment.State.ToString().ToLowerInvariant()}, not quarantined.");
            var report = await care.ProbeHealthAsync(environment.Id, ct);
            if (report.Status == HealthStatus.Unhealthy && !evenIfUnhealthy)
                return AdminResult.Refused($"{environment.Name} stays quarantined: its health check failed ({report.Detail}). Fix it, or return it anyway.");

            // A lease that ends (or is force-released) while its environment is quarantined gets no cleanup, and a
            // quarantine may come from a failed reset; nothing records whether it was reset since its last run, so an
            // idle environment is always reset before it takes leases again. A leased one is cleaned when its lease ends.
            var leasedBefore = await HasOpenRunAsync(environment.Id, ct);
            if (!leasedBefore && await care.ResetQuarantinedAsync(environment, ct) is { } failure)
                return AdminResult.Refused($"{environment.Name} stays quarantined: the reset before returning it failed ({failure}). Fix it and try again.");

            await using var db = await dbs.CreateDbContextAsync(ct);
            var current = await db.Environments.FirstAsync(e => e.Id == environment.Id, ct);
            if (current.State != EnvironmentState.Quarantined) return AdminResult.Refused($"{environment.Name} was changed meanwhile: it is {current.State}.");
            var leased = await db.TestRuns.AnyAsync(r => r.EnvironmentId == environment.Id && TestRunStates.Open.Contains(r.State), ct);
            if (leasedBefore && !leased)
                return AdminResult.Refused($"{environment.Name}'s lease ended just now; look again and retry, so it is reset first.");
            current.State = leased ? EnvironmentState.Leased : EnvironmentState.Available;
            current.StateSinceUtc = Now;
            current.QuarantineReason = current.QuarantinedBy = null;
            current.QuarantinedAtUtc = null;
            var done = AdminResult.Done($"{environment.Name} is back in service ({current.State.ToString().ToLowerInvariant()}); health {report.Status} ({report.Latency.TotalMilliseconds:0} ms)." +
                                        (leased ? "" : " It was reset first.") +
                                        (report.Status == HealthStatus.Unhealthy ? " Returned although unhealthy, as asked." : ""));
            // Its reservations are no longer at risk: cleared in the same save as the return and its audit entry.
            foreach (var atRisk in await db.Reservations.Where(r => r.EnvironmentId == environment.Id && r.AtRisk && r.State == ReservationState.Scheduled).ToListAsync(ct))
                atRisk.AtRisk = false;
            audit.AddTo(db, done);
            // The end of the quarantine, for the reliability figures (the admin action's entry above is written for refusals too).
            db.AuditEntries.Add(AuditEntry.For(actor, AuditActions.EnvironmentReturned, $"{environment.Name} back in service: {reason.Trim()}", clock, environment.Id));
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateConcurrencyException)
            {
                return AdminResult.Refused($"{environment.Name} was changed meanwhile; look again and retry.");
            }
            events.Publish(EnvironmentChanged.Of(current));
            await care.StartDueLeasesAsync(environment.Id, ct);
            return done;
        });

    public Task<AdminResult> CheckHealthAsync(Actor actor, int environmentId, string reason, CancellationToken ct = default) =>
        ActAsync(actor, environmentId, reason, AuditActions.AdminCheckHealth, ct, async (environment, _) =>
        {
            var report = await care.ProbeHealthAsync(environment.Id, ct);
            return AdminResult.Done($"{environment.Name}: {report.Status}, {report.Latency.TotalMilliseconds:0} ms — {report.Detail}");
        });

    public Task<AdminResult> CleanupAsync(Actor actor, int environmentId, string reason, CancellationToken ct = default) =>
        ActAsync(actor, environmentId, reason, AuditActions.AdminCleanup, ct, async (environment, _) =>
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
        ActAsync(actor, environmentId, reason, AuditActions.AdminMaintenance, ct, async (environment, audit) =>
            From(await maintenance.BlockAsync(environment, startUtc, endUtc, audit.Reason, conflicts, actor, ct,
                alongside: (db, done) => audit.AddTo(db, AdminResult.Done(done)))));

    /// <summary>Removes the environment's next maintenance window, or ends the one going on now.</summary>
    public Task<AdminResult> EndMaintenanceAsync(Actor actor, int environmentId, string reason, CancellationToken ct = default) =>
        ActAsync(actor, environmentId, reason, AuditActions.AdminMaintenanceEnded, ct, async (environment, audit) =>
            From(await maintenance.EndAsync(environment, ct, alongside: (db, done) => audit.AddTo(db, AdminResult.Done(done)))));

    /// <summary>Sets the simulated framework's faults for one environment (demos, drills).</summary>
    public Task<AdminResult> SetFaultsAsync(Actor actor, int environmentId, FaultProfile faults, bool hangCurrentRun, string reason, CancellationToken ct = default) =>
        ActAsync(actor, environmentId, reason, AuditActions.AdminFaults, ct, (environment, _) =>
        {
            if (!care.CanInjectFaults) return Task.FromResult(AdminResult.Refused("Faults can only be injected into the simulated test framework."));
            var hung = care.InjectFaults(environment, faults, hangCurrentRun) ? " Its current run now hangs." : "";
            return Task.FromResult(AdminResult.Done($"{environment.Name} now plays: {faults.Describe()}.{hung}"));
        });

    private async Task<AdminResult> ActAsync(Actor actor, int environmentId, string reason, string action, CancellationToken ct,
        Func<TestEnvironment, AdminAudit, Task<AdminResult>> act)
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

        var audit = new AdminAudit(actor, action, environment, reason, clock);
        var result = await act(environment, audit);
        // Written with the change where the action made one; a refusal (or an action outside the database) is audited now.
        if (result.Outcome != AdminOutcome.Invalid && !audit.Saved)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            audit.AddTo(db, result);
            await db.SaveChangesAsync(ct);
        }
        LogActed(actor.Id, action, environment.Key, result.Outcome);
        return result;
    }

    /// <summary>
    /// One admin action's audit entry. An action that changes the database adds it to the save that makes the
    /// change (<see cref="AddTo"/>), so both commit or neither does; <see cref="Saved"/> tells whether one committed.
    /// </summary>
    public sealed class AdminAudit(Actor actor, string action, TestEnvironment environment, string reason, TimeProvider clock)
    {
        private readonly List<AuditEntry> _added = [];

        /// <summary>
        /// The reason as checked: trimmed. The actions store this one (quarantine, maintenance, force release), never
        /// their own parameter, which is the caller's text as typed.
        /// </summary>
        public string Reason => reason;

        public bool Saved => _added.Exists(e => e.Id != 0);

        public void AddTo(LeaseBoardDb db, AdminResult outcome)
        {
            var entry = AuditEntry.For(actor, action,
                $"{actor.DisplayName} on {environment.Name}. Reason: {reason} Outcome: {(outcome.Succeeded ? "done" : "refused")} — {outcome.Message}", clock, environment.Id);
            _added.Add(entry);
            db.AuditEntries.Add(entry);
        }
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

    private async Task<bool> HasOpenRunAsync(int environmentId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.TestRuns.AnyAsync(r => r.EnvironmentId == environmentId && TestRunStates.Open.Contains(r.State), ct);
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
