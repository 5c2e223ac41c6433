using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.LiveUpdates;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Features.Booking;

public sealed record MaintenanceRow(int Id, DateTime StartUtc, DateTime EndUtc, string Reason);

/// <summary>What to do with reservations in the way of a maintenance window.</summary>
public enum MaintenanceConflicts { Refuse, Move, Cancel }

/// <summary>How planning a window went: done, refused with the reservations still in the way, or invalid input.</summary>
public sealed record MaintenanceResult(bool Done, string Message, IReadOnlyList<ConflictingReservation> InTheWay, bool Invalid = false)
{
    public static MaintenanceResult Blocked(string message) => new(true, message, []);
    public static MaintenanceResult Refused(string message, IReadOnlyList<ConflictingReservation>? inTheWay = null) => new(false, message, inTheWay ?? []);
    public static MaintenanceResult Wrong(string message) => new(false, message, [], Invalid: true);
}

/// <summary>
/// Maintenance windows: time an admin blocks on an environment. Placed through the same
/// <see cref="SlotGuard"/> as reservations, so a booking and a window can never overlap; reservations
/// in the way refuse the window unless moved (<see cref="ReservationRelocation"/>) or cancelled.
/// Authorisation and the audit of the admin's action are the caller's (the admin service).
/// </summary>
public sealed class MaintenanceWindows(IDbContextFactory<LeaseBoardDb> dbs, SlotGuard guard, BookingService booking,
    ReservationRelocation relocation, BoardEvents events, TimeProvider clock)
{
    public static readonly TimeSpan MaxLength = TimeSpan.FromDays(31);
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>Maintenance windows overlapping <c>[fromUtc, toUtc)</c>, for views that draw them (the calendar).</summary>
    public async Task<List<(int EnvironmentId, MaintenanceRow Window)>> BetweenAsync(DateTime fromUtc, DateTime toUtc, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Between(db, fromUtc, toUtc, ct);
    }

    internal static async Task<List<(int EnvironmentId, MaintenanceRow Window)>> Between(LeaseBoardDb db, DateTime fromUtc, DateTime toUtc, CancellationToken ct)
    {
        var windows = await db.MaintenanceWindows.AsNoTracking().Where(m => m.EndUtc > fromUtc && m.StartUtc < toUtc).OrderBy(m => m.StartUtc).ToListAsync(ct);
        return windows.Select(m => (m.EnvironmentId, new MaintenanceRow(m.Id, m.StartUtc, m.EndUtc, m.Reason))).ToList();
    }

    /// <summary>
    /// Blocks <c>[startUtc, endUtc)</c> on the environment, after moving or cancelling what is in the way if asked.
    /// <paramref name="alongside"/> adds to the save that writes the window (the admin's audit entry), with the sentence of what it did.
    /// </summary>
    public async Task<MaintenanceResult> BlockAsync(TestEnvironment environment, DateTime startUtc, DateTime endUtc, string reason,
        MaintenanceConflicts conflicts, Actor actor, CancellationToken ct, Action<LeaseBoardDb, string>? alongside = null)
    {
        if (endUtc <= startUtc) return MaintenanceResult.Wrong("The maintenance window must end after it starts.");
        if (endUtc <= Now) return MaintenanceResult.Wrong("The maintenance window lies in the past.");
        if (endUtc - startUtc > MaxLength) return MaintenanceResult.Wrong($"A maintenance window lasts at most {MaxLength.TotalDays:0} days.");

        var notes = new List<string>();
        string Blocked() => $"{environment.Name} is blocked for maintenance {TimeText.Utc(startUtc)}–{TimeText.Utc(endUtc)}.{(notes.Count == 0 ? "" : " " + string.Join(" ", notes))}";
        for (var round = 0; round < 3; round++)
        {
            var outcome = await guard.RunAsync(SlotClaim.Maintenance(environment.Id, startUtc, endUtc), async db =>
            {
                db.MaintenanceWindows.Add(new MaintenanceWindow
                {
                    EnvironmentId = environment.Id, StartUtc = startUtc, EndUtc = endUtc, Reason = reason, CreatedBy = actor.Id, CreatedUtc = Now,
                });
                alongside?.Invoke(db, Blocked());
                await db.SaveChangesAsync(ct);
            }, ct);
            if (outcome.Succeeded)
            {
                events.Publish(EnvironmentChanged.Of(environment));
                return MaintenanceResult.Blocked(Blocked());
            }
            var inTheWay = outcome.Conflicts;
            if (inTheWay.Count == 0) return MaintenanceResult.Refused(outcome.Refusal ?? "The environment kept changing; try again.");
            if (conflicts == MaintenanceConflicts.Refuse || round == 2)
                return MaintenanceResult.Refused($"{inTheWay.Count} reservation(s) are in the way: {string.Join("; ", inTheWay.Select(c => c.Describe()))}. Choose to move or cancel them.", inTheWay);

            var stuck = new List<ConflictingReservation>();
            if (conflicts == MaintenanceConflicts.Move)
            {
                var moved = await relocation.RelocateAsync(inTheWay.Select(c => c.ReservationId), environment, "blocked for maintenance", markAtRiskIfStuck: false, ct);
                stuck.AddRange(inTheWay.Where(c => !moved.Any(m => m.ReservationId == c.ReservationId && m.Moved)));
                notes.AddRange(moved.Where(m => m.Moved).Select(m => $"'{m.Title}' ({m.OwnerName}) moved to {m.MovedTo}."));
            }
            else
            {
                foreach (var conflict in inTheWay)
                {
                    if ((await booking.CancelAsync(conflict.ReservationId, actor, ct, because: $"{environment.Name} is blocked for maintenance")).Succeeded)
                        notes.Add($"'{conflict.Title}' ({conflict.OwnerName}) cancelled.");
                    else stuck.Add(conflict);
                }
            }
            if (stuck.Count > 0)
                return MaintenanceResult.Refused($"Not blocked: {stuck.Count} reservation(s) could not be {(conflicts == MaintenanceConflicts.Move ? "moved (no other environment is free, or it is running)" : "cancelled (it is running: force-release it first)")}: {string.Join("; ", stuck.Select(c => c.Describe()))}.", stuck);
        }
        return MaintenanceResult.Refused("The environment kept changing; try again.");
    }

    /// <summary>Removes the environment's next maintenance window, or ends the one going on now; <paramref name="alongside"/> as in <see cref="BlockAsync"/>.</summary>
    public async Task<MaintenanceResult> EndAsync(TestEnvironment environment, CancellationToken ct, Action<LeaseBoardDb, string>? alongside = null)
    {
        var now = Now;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var window = await db.MaintenanceWindows.Where(m => m.EnvironmentId == environment.Id && m.EndUtc > now)
            .OrderBy(m => m.StartUtc).FirstOrDefaultAsync(ct);
        if (window is null) return MaintenanceResult.Refused($"{environment.Name} has no maintenance window planned.");
        var what = $"{TimeText.Utc(window.StartUtc)}–{TimeText.Utc(window.EndUtc)} ({window.Reason})";
        var running = window.StartUtc < now;
        if (running) window.EndUtc = now;
        else db.MaintenanceWindows.Remove(window);
        var done = $"Maintenance of {environment.Name} {what} {(running ? "ended now" : "removed")}: the time can be booked again.";
        alongside?.Invoke(db, done);
        await db.SaveChangesAsync(ct);
        events.Publish(EnvironmentChanged.Of(environment));
        return MaintenanceResult.Blocked(done);
    }
}
