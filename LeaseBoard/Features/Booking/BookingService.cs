using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Features.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Booking;

/// <summary>
/// Owns booking: book, move/resize, cancel, release early and the next-free-slot search. Every
/// change of a slot goes through the <see cref="SlotGuard"/>, the overlap guard of DESIGN.md.
/// </summary>
public sealed partial class BookingService(
    IDbContextFactory<LeaseBoardDb> dbs,
    IOptionsMonitor<BookingOptions> options,
    SlotGuard guard,
    TimeProvider clock,
    ReservationFollowUps followUps,
    LeaseBoardTelemetry telemetry,
    ILogger<BookingService> logger)
{
    private BookingOptions Rules => options.CurrentValue;
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public async Task<BookingResult> BookAsync(BookingRequest request, Actor actor, CancellationToken ct = default)
    {
        using var span = LeaseBoardTelemetry.BookingSpan();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = await BookUnmeasuredAsync(request, actor, ct);
        telemetry.Booked(result.Outcome, started, actor.IsRehearsal, span);
        return result;
    }

    private async Task<BookingResult> BookUnmeasuredAsync(BookingRequest request, Actor actor, CancellationToken ct)
    {
        if (request.IdempotencyKey is { } key && await ByIdempotencyKeyAsync(actor, key, ct) is { } earlier)
            return earlier;

        var invalid = BookingRules.CheckText(request.Title, request.TestSpec)
                      ?? BookingRules.CheckTimes(request.StartUtc, request.EndUtc, Now, Rules);
        if (invalid is not null) return BookingResult.Invalid(invalid);

        var environments = await BookableCandidatesAsync(request.EnvironmentId, ct);
        if (environments.Error is { } refusal)
            return BookingResult.Invalid(refusal, await NextFreeSlotAsync(request.Duration, null, request.StartUtc, ct));

        ConflictingReservation? firstConflict = null;
        foreach (var environment in environments.List)
        {
            Reservation? reservation = null;
            var outcome = await guard.RunAsync(SlotClaim.Reservation(environment.Id, request.StartUtc, request.EndUtc, actor) with { IdempotencyKey = request.IdempotencyKey, Rehearsal = actor.IsRehearsal },
                async db => reservation = await WriteBookingAsync(db, environment, request, actor, ct), ct);

            if (outcome.DuplicateKey && request.IdempotencyKey is { } duplicate && await ByIdempotencyKeyAsync(actor, duplicate, ct) is { } first)
                return first;
            if (outcome.Limit is { } limitReached) return BookingResult.LimitReached(limitReached);
            if (outcome.Conflict is { } conflict)
            {
                firstConflict ??= conflict;
                continue;
            }
            if (outcome.Refusal is { } closed)
            {
                if (request.EnvironmentId is not null)
                    return BookingResult.Invalid(closed, await NextFreeSlotAsync(request.Duration, null, request.StartUtc, ct, preferredEnvironmentId: request.EnvironmentId));
                continue;
            }

            reservation!.Environment = environment;
            if (actor.IsRehearsal) return BookingResult.Booked(reservation, $"Rehearsed a booking of {environment.Name}; nothing was stored.");
            AfterChange(reservation, ReservationChange.Booked);
            LogBooked(reservation.Id, environment.Key, actor.Id);
            return BookingResult.Booked(reservation, $"Booked {environment.Name} {TimeText.Utc(reservation.StartUtc)}–{TimeText.Utc(reservation.EndUtc)}.");
        }

        var alternatives = await FreeSlotsAsync(request.Duration, null, request.StartUtc, MaxAlternatives, ct, preferredEnvironmentId: request.EnvironmentId);
        var suggestion = alternatives.FirstOrDefault();
        var message = firstConflict is null
            ? "No environment is free for that slot."
            : request.EnvironmentId is null
                ? "No environment is free for the whole slot."
                : firstConflict.Sentence(UtcRange(firstConflict.Slot), Rules.ChangeoverBuffer);
        var instead = alternatives.Count == 0 ? "" : $" Next free: {string.Join(", ", alternatives.Select(a => $"{a.EnvironmentName} {TimeText.Utc(a.StartUtc)}–{TimeText.Utc(a.EndUtc)}"))}.";
        return BookingResult.Conflicting(firstConflict, suggestion, message + instead) with { Alternatives = alternatives };
    }

    /// <summary>
    /// A reservation placed from the queue on one environment: the same text and time checks, the same guard (lock,
    /// buffer, maintenance, the owner's limits) and the same after-change path as <see cref="BookAsync"/>, without the
    /// suggestions. <paramref name="alongside"/> runs in the guard's transaction after the insert (it marks the queue
    /// entry placed, and throws <see cref="StaleReservationException"/> when the entry is no longer waiting).
    /// </summary>
    public async Task<BookingResult> BookQueuedAsync(BookingRequest request, Actor owner, Func<LeaseBoardDb, Reservation, Task> alongside, CancellationToken ct = default)
    {
        var invalid = BookingRules.CheckText(request.Title, request.TestSpec) ?? BookingRules.CheckTimes(request.StartUtc, request.EndUtc, Now, Rules);
        if (invalid is not null) return BookingResult.Invalid(invalid);
        var environments = await BookableCandidatesAsync(request.EnvironmentId, ct);
        if (environments.Error is { } closed || environments.List.Count != 1) return BookingResult.Invalid(environments.Error ?? "Pick one environment.");
        var environment = environments.List[0];
        Reservation? reservation = null;
        var outcome = await guard.RunAsync(SlotClaim.Reservation(environment.Id, request.StartUtc, request.EndUtc, owner), async db =>
        {
            reservation = await WriteBookingAsync(db, environment, request, owner, ct);
            await alongside(db, reservation);
        }, ct);
        if (outcome.Stale) return BookingResult.NotFound(0) with { Message = "The queue entry is no longer waiting." };
        if (outcome.Limit is { } limit) return BookingResult.LimitReached(limit);
        if (outcome.Conflict is { } conflict) return BookingResult.Conflicting(conflict, null, conflict.Sentence(UtcRange(conflict.Slot), Rules.ChangeoverBuffer));
        if (outcome.Refusal is { } refusal) return BookingResult.Invalid(refusal);
        reservation!.Environment = environment;
        AfterChange(reservation, ReservationChange.Booked);
        LogBooked(reservation.Id, environment.Key, owner.Id);
        return BookingResult.Booked(reservation, $"Placed on {environment.Name} {TimeText.Utc(reservation.StartUtc)}–{TimeText.Utc(reservation.EndUtc)}.");
    }

    /// <summary>
    /// A booking that is rolled back: the whole guarded path of <see cref="BookAsync"/> (candidates, lock, limits,
    /// conflicts, inserts) and the next-free-slot search, storing nothing, telling no one. It pays the first booking's
    /// one-time costs (query compilation, the JIT, the connection pool) before real bookings arrive.
    /// </summary>
    public async Task RehearseAsync(CancellationToken ct)
    {
        var environments = await BookableCandidatesAsync(null, ct);
        if (environments.List is not [var environment, ..]) return;
        var rehearsal = new Actor("system:rehearsal", "Rehearsal", IsAdmin: false);
        var request = new BookingRequest(environment.Id, Now.Date.AddDays(1).AddHours(3), Rules.MinDuration, "Rehearsal", TestKind.Load, "");
        await guard.RunAsync(SlotClaim.Reservation(environment.Id, request.StartUtc, request.EndUtc, rehearsal) with { Rehearsal = true },
            db => WriteBookingAsync(db, environment, request, rehearsal, ct), ct);
        await FreeSlotsAsync(request.Duration, null, request.StartUtc, MaxAlternatives, ct);
    }

    /// <summary>The reservation and its audit entry, inside the guard's transaction.</summary>
    private async Task<Reservation> WriteBookingAsync(LeaseBoardDb db, TestEnvironment environment, BookingRequest request, Actor actor, CancellationToken ct)
    {
        // Built anew on every attempt: a retried unit must not carry keys from a failed one.
        var reservation = new Reservation
        {
            EnvironmentId = environment.Id,
            OwnerId = actor.Id,
            OwnerName = actor.DisplayName,
            Title = request.Title.Trim(),
            TestKind = request.TestKind,
            TestSpec = request.TestSpec?.Trim() ?? "",
            StartUtc = request.StartUtc,
            EndUtc = request.EndUtc,
            IdempotencyKey = request.IdempotencyKey,
            CreatedUtc = Now,
            UpdatedUtc = Now,
        };
        db.Reservations.Add(reservation);
        await db.SaveChangesAsync(ct);
        db.AuditEntries.Add(Audit(actor, AuditActions.ReservationBooked, reservation,
            $"Booked '{reservation.Title}' on {environment.Key} {TimeText.Utc(reservation.StartUtc)}–{TimeText.Utc(reservation.EndUtc)}."));
        await db.SaveChangesAsync(ct);
        return reservation;
    }

    /// <summary>Moves and/or resizes a reservation; <paramref name="environmentId"/> changes its lane.</summary>
    public async Task<BookingResult> MoveAsync(int reservationId, int environmentId, DateTime startUtc, DateTime endUtc, Actor actor, CancellationToken ct = default)
    {
        Reservation? current;
        await using (var db = await dbs.CreateDbContextAsync(ct))
            current = await db.Reservations.AsNoTracking().Include(r => r.Environment).FirstOrDefaultAsync(r => r.Id == reservationId, ct);
        if (current is null) return BookingResult.NotFound(reservationId);
        if (!actor.MayChange(current)) return BookingResult.Forbidden("Only the owner or an admin can change this reservation.");

        string? invalid;
        if (current.State == ReservationState.Active)
        {
            // A running lease keeps its start and lane; only its end may move (extend or shorten).
            if (startUtc != current.StartUtc || environmentId != current.EnvironmentId)
                return BookingResult.Invalid("A running reservation can only be extended or shortened, not moved.");
            invalid = endUtc <= Now
                ? "The new end lies in the past."
                : BookingRules.CheckTimes(startUtc, endUtc, startUtc, Rules);
        }
        else if (current.State == ReservationState.Scheduled)
        {
            invalid = BookingRules.CheckTimes(startUtc, endUtc, Now, Rules);
        }
        else
        {
            return BookingResult.Invalid($"This reservation is {current.State.ToString().ToLowerInvariant()} and can no longer be changed.");
        }
        if (invalid is not null) return BookingResult.Invalid(invalid);

        var target = await BookableCandidatesAsync(environmentId, ct);
        if (target.Error is { } refusal) return BookingResult.Invalid(refusal);
        var environment = target.List[0];

        Reservation? moved = null;
        var outcome = await guard.RunAsync(SlotClaim.Reservation(environmentId, startUtc, endUtc, actor, moving: reservationId), async db =>
        {
            moved = await db.Reservations.FirstAsync(r => r.Id == reservationId, ct);
            if (moved.Version != current.Version)
                throw new StaleReservationException();
            moved.EnvironmentId = environmentId;
            moved.StartUtc = startUtc;
            moved.EndUtc = endUtc;
            moved.UpdatedUtc = Now;
            moved.AtRisk = false;
            db.AuditEntries.Add(Audit(actor, AuditActions.ReservationMoved, moved,
                $"Moved from {current.Environment?.Name ?? "environment " + current.EnvironmentId} {TimeText.Utc(current.StartUtc)}–{TimeText.Utc(current.EndUtc)} to {environment.Key} {TimeText.Utc(startUtc)}–{TimeText.Utc(endUtc)}."));
            await db.SaveChangesAsync(ct);
        }, ct);

        if (outcome.Limit is { } limitReached) return BookingResult.LimitReached(limitReached);
        if (outcome.Stale)
            return BookingResult.Conflicting(null, null, "The reservation changed meanwhile (someone else edited it, or it started). Reload and try again.");
        if (outcome.Refusal is { } closed) return BookingResult.Invalid(closed);
        if (outcome.Conflict is { } conflict)
        {
            var suggestion = await NextFreeSlotAsync(endUtc - startUtc, environmentId, startUtc, ct, ignoreReservationId: reservationId);
            return BookingResult.Conflicting(conflict, suggestion,
                conflict.Sentence(UtcRange(conflict.Slot), Rules.ChangeoverBuffer));
        }

        moved!.Environment = environment;
        AfterChange(moved, ReservationChange.Moved);
        return BookingResult.Moved(moved, $"Moved to {environment.Name} {TimeText.Utc(startUtc)}–{TimeText.Utc(endUtc)}.");
    }

    /// <summary>Cancels a scheduled reservation; <paramref name="because"/> tells its owner why when someone else (an admin) cancels it.</summary>
    public async Task<BookingResult> CancelAsync(int reservationId, Actor actor, CancellationToken ct = default, string? because = null) =>
        await EndEarlyAsync(reservationId, actor, ReservationState.Scheduled, ReservationState.Cancelled, AuditActions.ReservationCancelled, "cancelled", because, ct);

    /// <summary>Ends a running lease before its slot is over; the lease engine stops the test and cleans up.</summary>
    public async Task<BookingResult> ReleaseAsync(int reservationId, Actor actor, CancellationToken ct = default) =>
        await EndEarlyAsync(reservationId, actor, ReservationState.Active, ReservationState.Releasing, AuditActions.ReservationReleased, "released", null, ct);

    private async Task<BookingResult> EndEarlyAsync(int reservationId, Actor actor, ReservationState from, ReservationState to, string action, string verb,
        string? because, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var reservation = await db.Reservations.Include(r => r.Environment).FirstOrDefaultAsync(r => r.Id == reservationId, ct);
        if (reservation is null) return BookingResult.NotFound(reservationId);
        if (!actor.MayChange(reservation)) return BookingResult.Forbidden($"Only the owner or an admin can have this reservation {verb}.");
        if (reservation.State != from)
            return BookingResult.Invalid(from == ReservationState.Scheduled
                ? $"Only a scheduled reservation can be cancelled; this one is {reservation.State.ToString().ToLowerInvariant()}."
                : $"Only a running reservation can be released; this one is {reservation.State.ToString().ToLowerInvariant()}.");

        reservation.State = to;
        reservation.UpdatedUtc = Now;
        reservation.Outcome = $"{char.ToUpperInvariant(verb[0])}{verb[1..]} by {actor.DisplayName}{(because is null ? "" : ": " + because)}.";
        db.AuditEntries.Add(Audit(actor, action, reservation, $"'{reservation.Title}' {verb}{(because is null ? "" : ": " + because)}."));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return BookingResult.Conflicting(null, null, "The reservation changed meanwhile (it may just have started). Reload and try again.");
        }
        var byOther = actor.Id != reservation.OwnerId;
        AfterChange(reservation, to == ReservationState.Cancelled
            ? byOther ? ReservationChange.CancelledByOther : ReservationChange.Cancelled
            : ReservationChange.Released);
        var message = $"'{reservation.Title}' {verb}.";
        return to == ReservationState.Cancelled ? BookingResult.Cancelled(reservation, message) : BookingResult.Released(reservation, message);
    }

    /// <summary>
    /// The earliest slot of <paramref name="duration"/> at or after <paramref name="fromUtc"/> (never in the past),
    /// on one environment or on any bookable one; null when none fits inside the horizon.
    /// </summary>
    public async Task<Slot?> NextFreeSlotAsync(TimeSpan duration, int? environmentId, DateTime? fromUtc, CancellationToken ct = default,
        int? preferredEnvironmentId = null, int? ignoreReservationId = null) =>
        (await FreeSlotsAsync(duration, environmentId, fromUtc, 1, ct, preferredEnvironmentId, ignoreReservationId)).FirstOrDefault();

    /// <summary>How many free slots (each on another environment) a refused booking offers.</summary>
    public const int MaxAlternatives = 3;

    /// <summary>
    /// The earliest slot on each environment (at most <paramref name="count"/>, earliest first; on a tie the preferred
    /// environment, then board order). Offered to everyone who lost a slot, so that losers of one race spread over
    /// several choices instead of all racing again for the same one.
    /// </summary>
    public async Task<IReadOnlyList<Slot>> FreeSlotsAsync(TimeSpan duration, int? environmentId, DateTime? fromUtc, int count, CancellationToken ct = default,
        int? preferredEnvironmentId = null, int? ignoreReservationId = null)
    {
        var rules = Rules;
        if (duration < rules.MinDuration || duration > rules.MaxDuration) return [];
        var now = Now;
        var earliest = BookingRules.CeilToGrid(fromUtc is { } f && f > now ? f : BookingRules.FloorToGrid(now, rules), rules);
        if (earliest < now - rules.PastTolerance) earliest = BookingRules.CeilToGrid(now, rules);
        var latestStart = now + rules.Horizon;

        await using var db = await dbs.CreateDbContextAsync(ct);
        var environments = await db.Environments.AsNoTracking()
            .Where(e => e.State != EnvironmentState.Quarantined && e.State != EnvironmentState.Retired
                        && (environmentId == null || e.Id == environmentId))
            .OrderBy(e => e.SortOrder).ToListAsync(ct);
        if (environments.Count == 0) return [];

        var ids = environments.Select(e => e.Id).ToList();
        var windowStart = earliest - rules.ChangeoverBuffer;
        var windowEnd = latestStart + duration + rules.ChangeoverBuffer;
        var taken = await db.Reservations.AsNoTracking()
            .Where(r => ids.Contains(r.EnvironmentId) && ReservationStates.Live.Contains(r.State)
                        && r.Id != ignoreReservationId && r.EndUtc > windowStart && r.StartUtc < windowEnd)
            .OrderBy(r => r.StartUtc)
            .Select(r => new { r.EnvironmentId, r.StartUtc, r.EndUtc })
            .ToListAsync(ct);
        // Maintenance windows are taken time too (their changeover buffer is a harmless extra margin).
        var blocked = await db.MaintenanceWindows.AsNoTracking()
            .Where(m => ids.Contains(m.EnvironmentId) && m.EndUtc > windowStart && m.StartUtc < windowEnd)
            .Select(m => new { m.EnvironmentId, m.StartUtc, m.EndUtc })
            .ToListAsync(ct);
        var byEnvironment = taken.Concat(blocked).OrderBy(r => r.StartUtc).ToLookup(r => r.EnvironmentId);

        var slots = new List<(Slot Slot, int Order)>();
        foreach (var (environment, order) in environments.Select((e, i) => (e, i)))
        {
            var candidate = earliest;
            foreach (var busy in byEnvironment[environment.Id])
            {
                if (candidate + duration + rules.ChangeoverBuffer <= busy.StartUtc) break;
                var afterBusy = BookingRules.CeilToGrid(busy.EndUtc + rules.ChangeoverBuffer, rules);
                if (afterBusy > candidate) candidate = afterBusy;
            }
            if (candidate > latestStart) continue;
            slots.Add((new Slot(environment.Id, environment.Key, environment.Name, candidate, candidate + duration), order));
        }
        return slots.OrderBy(s => s.Slot.StartUtc).ThenBy(s => s.Slot.EnvironmentId == preferredEnvironmentId ? 0 : 1).ThenBy(s => s.Order)
            .Take(count).Select(s => s.Slot).ToList();
    }

    private sealed record Candidates(List<TestEnvironment> List, string? Error);

    private async Task<Candidates> BookableCandidatesAsync(int? environmentId, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (environmentId is { } id)
        {
            var environment = await db.Environments.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct);
            if (environment is null) return new([], $"Environment {id} does not exist.");
            return environment.State switch
            {
                EnvironmentState.Quarantined => new([], $"{environment.Name} is quarantined ({environment.QuarantineReason ?? "no reason given"}) and cannot be booked."),
                EnvironmentState.Retired => new([], $"{environment.Name} is retired and cannot be booked."),
                _ => new([environment], null),
            };
        }
        var all = await db.Environments.AsNoTracking()
            .Where(e => e.State != EnvironmentState.Quarantined && e.State != EnvironmentState.Retired)
            .OrderBy(e => e.SortOrder).ToListAsync(ct);
        return all.Count == 0 ? new([], "No environment can be booked right now: all are quarantined or retired.") : new(all, null);
    }

    private async Task<BookingResult?> ByIdempotencyKeyAsync(Actor actor, string key, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var earlier = await db.Reservations.AsNoTracking().Include(r => r.Environment)
            .FirstOrDefaultAsync(r => r.OwnerId == actor.Id && r.IdempotencyKey == key, ct);
        return earlier is null ? null : BookingResult.Booked(earlier, $"Already booked with this Idempotency-Key: reservation {earlier.Id}.") with { Replayed = true };
    }

    private static string UtcRange(Slot slot) => $"{TimeText.Utc(slot.StartUtc)}–{TimeText.Utc(slot.EndUtc)}";

    /// <summary>After the commit: the jobs and the board event follow off the caller's path (see <see cref="ReservationFollowUps"/>).</summary>
    private void AfterChange(Reservation reservation, ReservationChange change) => followUps.Enqueue(reservation, change);

    private AuditEntry Audit(Actor actor, string action, Reservation reservation, string details) =>
        AuditEntry.For(actor, action, details, clock, reservation.EnvironmentId, reservation.Id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reservation {ReservationId} booked on {EnvironmentKey} by {UserId}")]
    private partial void LogBooked(int reservationId, string environmentKey, string userId);
}

/// <summary>
/// Told after a reservation's slot or state changed, once the change is committed, off the caller's path and in
/// commit order (<see cref="ReservationFollowUps"/>). The lease engine implements it to (re)schedule its start and
/// deadline jobs; an implementation re-reads what it needs, since the reservation may have changed again meanwhile.
/// </summary>
public interface IReservationLifecycle
{
    Task ReservationChangedAsync(Reservation reservation, CancellationToken ct);
}
