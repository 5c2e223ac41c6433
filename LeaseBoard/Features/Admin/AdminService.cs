using System.Data;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Framework;
using LeaseBoard.Features.Leases;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Features.Notifications;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

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
    BookingService booking,
    ITestFramework framework,
    SimulatedTestFramework simulated,
    NotificationService notifications,
    IOptions<FrameworkOptions> frameworkOptions,
    IOptionsMonitor<BookingOptions> bookingOptions,
    TimeProvider clock,
    BoardEvents events,
    ILogger<AdminService> logger)
{
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public bool UsesSimulatedFramework => frameworkOptions.Value.Driver == FrameworkDriver.Simulated;

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
            var relocations = await care.QuarantineAsync(environment.Id, reason, actor.Id, ct);
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
                    try
                    {
                        await framework.ResetEnvironmentAsync(environment.Key, environment.FenceCounter, ct);
                        return AdminResult.Done($"{environment.Name} was reset; it stays quarantined until returned to service.");
                    }
                    catch (TestFrameworkException e)
                    {
                        return AdminResult.Refused($"Reset of {environment.Name} failed: {e.Message}");
                    }
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
        {
            if (endUtc <= startUtc) return AdminResult.Invalid("The maintenance window must end after it starts.");
            if (endUtc <= Now) return AdminResult.Invalid("The maintenance window lies in the past.");
            if (endUtc - startUtc > TimeSpan.FromDays(31)) return AdminResult.Invalid("A maintenance window lasts at most 31 days.");

            var notes = new List<string>();
            for (var round = 0; round < 3; round++)
            {
                var (blocked, inTheWay) = await TryBlockAsync(environment, startUtc, endUtc, reason, actor, ct);
                if (blocked is not null)
                    return AdminResult.Done($"{environment.Name} is blocked for maintenance {Utc(startUtc)}–{Utc(endUtc)}.{(notes.Count == 0 ? "" : " " + string.Join(" ", notes))}");
                if (conflicts == MaintenanceConflicts.Refuse || round == 2)
                    return AdminResult.Refused($"{inTheWay.Count} reservation(s) are in the way: {string.Join("; ", inTheWay.Select(Describe))}. Choose to move or cancel them.", inTheWay);

                var stuck = new List<ConflictingReservation>();
                foreach (var conflict in inTheWay)
                {
                    var note = conflicts == MaintenanceConflicts.Move
                        ? await MoveAwayAsync(conflict, environment, ct)
                        : await CancelForMaintenanceAsync(conflict, environment, actor, ct);
                    if (note is null) stuck.Add(conflict);
                    else notes.Add(note);
                }
                if (stuck.Count > 0)
                    return AdminResult.Refused($"Not blocked: {stuck.Count} reservation(s) could not be {(conflicts == MaintenanceConflicts.Move ? "moved (no other environment is free, or it is running)" : "cancelled (it is running: force-release it first)")}: {string.Join("; ", stuck.Select(Describe))}.", stuck);
            }
            return AdminResult.Refused("The environment kept changing; try again.");
        });

    /// <summary>Removes the environment's next maintenance window, or ends the one going on now.</summary>
    public Task<AdminResult> EndMaintenanceAsync(Actor actor, int environmentId, string reason, CancellationToken ct = default) =>
        ActAsync(actor, environmentId, reason, AuditActions.AdminMaintenanceEnded, ct, async environment =>
        {
            var now = Now;
            await using var db = await dbs.CreateDbContextAsync(ct);
            var window = await db.MaintenanceWindows.Where(m => m.EnvironmentId == environment.Id && m.EndUtc > now)
                .OrderBy(m => m.StartUtc).FirstOrDefaultAsync(ct);
            if (window is null) return AdminResult.Refused($"{environment.Name} has no maintenance window planned.");
            var what = $"{Utc(window.StartUtc)}–{Utc(window.EndUtc)} ({window.Reason})";
            if (window.StartUtc < now) window.EndUtc = now;
            else db.MaintenanceWindows.Remove(window);
            await db.SaveChangesAsync(ct);
            events.Publish(EnvironmentChanged.Of(environment));
            return AdminResult.Done($"Maintenance of {environment.Name} {what} {(window.StartUtc < now ? "ended now" : "removed")}: the time can be booked again.");
        });

    /// <summary>Sets the simulated framework's faults for one environment (demos, drills).</summary>
    public Task<AdminResult> SetFaultsAsync(Actor actor, int environmentId, FaultProfile faults, bool hangCurrentRun, string reason, CancellationToken ct = default) =>
        ActAsync(actor, environmentId, reason, AuditActions.AdminFaults, ct, environment =>
        {
            if (!UsesSimulatedFramework) return Task.FromResult(AdminResult.Refused("Faults can only be injected into the simulated test framework."));
            simulated.SetFaults(environment.Key, faults);
            var hung = hangCurrentRun && simulated.HangCurrentRun(environment.Key) ? " Its current run now hangs." : "";
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
            db.AuditEntries.Add(new AuditEntry
            {
                AtUtc = Now, Actor = actor.Id, Action = action, EnvironmentId = environment.Id,
                Details = Rules.Truncate($"{actor.DisplayName} on {environment.Name}. Reason: {reason} Outcome: {(result.Succeeded ? "done" : "refused")} — {result.Message}", 2000),
            });
            await db.SaveChangesAsync(ct);
        }
        LogActed(actor.Id, action, environment.Key, result.Outcome);
        return result;
    }

    private async Task<(MaintenanceWindow? Window, List<ConflictingReservation> InTheWay)> TryBlockAsync(
        TestEnvironment environment, DateTime startUtc, DateTime endUtc, string reason, Actor actor, CancellationToken ct)
    {
        var changeoverFrom = startUtc - bookingOptions.CurrentValue.ChangeoverBuffer; // a reservation ending just before still needs its cleanup time
        await using var strategyDb = await dbs.CreateDbContextAsync(ct);
        return await strategyDb.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            // The booking guard's unit: the environment's row lock first, so bookings queue behind the window.
            await using var db = await dbs.CreateDbContextAsync(token);
            await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.Serializable, token);
            await db.Environments.Where(e => e.Id == environment.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.BookingVersion, e => e.BookingVersion + 1), token);
            var inTheWay = await db.Reservations.AsNoTracking()
                .Where(r => r.EnvironmentId == environment.Id && ReservationStates.Live.Contains(r.State)
                            && r.StartUtc < endUtc && r.EndUtc > changeoverFrom)
                .OrderBy(r => r.StartUtc)
                .Select(r => new ConflictingReservation(r.Id, r.Title, r.OwnerName, new Slot(environment.Id, environment.Key, environment.Name, r.StartUtc, r.EndUtc)))
                .ToListAsync(token);
            if (inTheWay.Count > 0)
            {
                await transaction.RollbackAsync(token);
                return ((MaintenanceWindow?)null, inTheWay);
            }
            var window = new MaintenanceWindow
            {
                EnvironmentId = environment.Id, StartUtc = startUtc, EndUtc = endUtc, Reason = reason, CreatedBy = actor.Id, CreatedUtc = Now,
            };
            db.MaintenanceWindows.Add(window);
            await db.SaveChangesAsync(token);
            await transaction.CommitAsync(token);
            events.Publish(EnvironmentChanged.Of(environment));
            return (window, inTheWay);
        }, ct);
    }

    private async Task<string?> MoveAwayAsync(ConflictingReservation conflict, TestEnvironment from, CancellationToken ct)
    {
        List<TestEnvironment> others;
        await using (var db = await dbs.CreateDbContextAsync(ct))
            others = await db.Environments.AsNoTracking()
                .Where(e => e.Id != from.Id && e.State != EnvironmentState.Quarantined && e.State != EnvironmentState.Retired)
                .OrderBy(e => e.SortOrder).ToListAsync(ct);
        foreach (var target in others)
        {
            var moved = await booking.MoveAsync(conflict.ReservationId, target.Id, conflict.Slot.StartUtc, conflict.Slot.EndUtc, Actor.System, ct);
            if (!moved.Succeeded) continue;
            await notifications.NotifyOwnerAsync(conflict.ReservationId, NotificationKind.Moved,
                $"'{conflict.Title}' moved from {from.Name} to {target.Name} (same time): {from.Name} is blocked for maintenance.", ct);
            return $"'{conflict.Title}' ({conflict.OwnerName}) moved to {target.Name}.";
        }
        return null;
    }

    private async Task<string?> CancelForMaintenanceAsync(ConflictingReservation conflict, TestEnvironment from, Actor actor, CancellationToken ct)
    {
        var cancelled = await booking.CancelAsync(conflict.ReservationId, actor, ct);
        if (!cancelled.Succeeded) return null;
        await notifications.NotifyOwnerAsync(conflict.ReservationId, NotificationKind.Cancelled,
            $"'{conflict.Title}' on {from.Name} was cancelled by an admin: the environment is blocked for maintenance.", ct);
        return $"'{conflict.Title}' ({conflict.OwnerName}) cancelled.";
    }

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

    private static string Describe(ConflictingReservation c) => $"'{c.Title}' ({c.OwnerName}) {Utc(c.Slot.StartUtc)}–{Utc(c.Slot.EndUtc)}";

    private static string Utc(DateTime instant) => instant.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);


    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Action} on environment {EnvironmentId} to non-admin {UserId}")]
    private partial void LogRefused(string userId, string action, int environmentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{UserId}: {Action} on {EnvironmentKey} → {Outcome}")]
    private partial void LogActed(string userId, string action, string environmentKey, AdminOutcome outcome);
}
