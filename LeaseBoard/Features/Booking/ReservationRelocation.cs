using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.LiveUpdates;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Features.Booking;

/// <summary>What became of one reservation moved off an environment: moved to another, or not (<see cref="MovedTo"/> null).</summary>
public sealed record Relocation(int ReservationId, string Title, string OwnerName, DateTime StartUtc, string From, string? MovedTo)
{
    public bool Moved => MovedTo is not null;

    public string Describe() => MovedTo is { } to ? $"'{Title}' of {OwnerName} moved from {From} to {to}" : $"'{Title}' of {OwnerName} at risk (no environment free for its slot)";
}

/// <summary>
/// Moves upcoming reservations off an environment that is going out of service (quarantine) or being
/// blocked (maintenance): each to the first other healthy, bookable environment free for the same
/// slot, through the booking guard. The owner is told one way: the reservation's outcome says what
/// happened, and the <see cref="ReservationChange.Relocated"/> or <see cref="ReservationChange.AtRisk"/>
/// board event turns into their notification.
/// </summary>
public sealed class ReservationRelocation(IDbContextFactory<LeaseBoardDb> dbs, BookingService booking, BoardEvents events, TimeProvider clock)
{
    /// <summary>The environment's scheduled reservations that end after now, earliest first.</summary>
    public async Task<IReadOnlyList<int>> UpcomingOnAsync(int environmentId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Reservations.Where(r => r.EnvironmentId == environmentId && r.State == ReservationState.Scheduled && r.EndUtc > now)
            .OrderBy(r => r.StartUtc).Select(r => r.Id).ToListAsync(ct);
    }

    /// <summary>
    /// Moves each reservation off <paramref name="from"/>. One that cannot move is marked at risk when
    /// <paramref name="markAtRiskIfStuck"/> (quarantine: it stays, and its owner decides), else left as it was.
    /// </summary>
    /// <param name="because">Why, for the owner: "quarantined: disk full", "blocked for maintenance".</param>
    /// <param name="outcome">The owner's sentence, given the environment moved to (null: at risk); null for the quarantine's wording.</param>
    /// <param name="onlyPassingProbes">Only to environments whose latest probe passed (a readiness check must not send a reservation to another that just failed one).</param>
    public async Task<IReadOnlyList<Relocation>> RelocateAsync(IEnumerable<int> reservationIds, TestEnvironment from, string because,
        bool markAtRiskIfStuck, CancellationToken ct, Func<string?, string>? outcome = null, bool onlyPassingProbes = false)
    {
        List<int> targets;
        await using (var db = await dbs.CreateDbContextAsync(ct))
            targets = await db.Environments.Where(e => e.Id != from.Id && e.State != EnvironmentState.Quarantined
                                                       && e.State != EnvironmentState.Retired && e.Health != HealthStatus.Unhealthy
                                                       && (!onlyPassingProbes || e.ConsecutiveHealthFailures == 0))
                .OrderBy(e => e.SortOrder).Select(e => e.Id).ToListAsync(ct);

        var relocations = new List<Relocation>();
        foreach (var id in reservationIds)
        {
            Reservation? reservation;
            await using (var db = await dbs.CreateDbContextAsync(ct))
                reservation = await db.Reservations.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id && r.State == ReservationState.Scheduled, ct);
            if (reservation is null || reservation.EnvironmentId != from.Id) continue; // started, cancelled, or already moved off (by a concurrent check)

            Reservation? moved = null;
            foreach (var target in targets)
            {
                var result = await booking.MoveAsync(reservation.Id, target, reservation.StartUtc, reservation.EndUtc, Actor.System, ct);
                if (result.Succeeded) { moved = result.Reservation; break; }
            }
            if (moved is not null || markAtRiskIfStuck)
                await RecordAsync(reservation.Id, from, because, moved?.Environment?.Name, outcome, ct);
            relocations.Add(new Relocation(reservation.Id, reservation.Title, reservation.OwnerName, reservation.StartUtc, from.Name, moved?.Environment?.Name));
        }
        return relocations;
    }

    private async Task RecordAsync(int reservationId, TestEnvironment from, string because, string? movedTo, Func<string?, string>? outcome, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var current = await db.Reservations.FirstAsync(r => r.Id == reservationId, ct);
            string action;
            if (movedTo is not null)
            {
                current.Outcome = outcome?.Invoke(movedTo) ?? $"Moved from {from.Name} ({because}) to {movedTo}, same time.";
                action = AuditActions.ReservationRelocated;
            }
            else
            {
                current.AtRisk = true;
                current.Outcome = outcome?.Invoke(null) ?? $"At risk: {from.Name} is {because} and no other environment is free for this slot. Move it, or wait for {from.Name} to return.";
                action = AuditActions.ReservationAtRisk;
            }
            db.AuditEntries.Add(AuditEntry.For(Actor.System, action, current.Outcome, clock, current.EnvironmentId, current.Id));
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateConcurrencyException)
            {
                continue; // the lease engine touched it meanwhile: read again
            }
            events.Publish(new ReservationChanged(current.Id, current.EnvironmentId, current.State,
                movedTo is null ? ReservationChange.AtRisk : ReservationChange.Relocated));
            return;
        }
    }
}
