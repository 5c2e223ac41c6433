using System.Data;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Booking;

/// <summary>What is being placed on an environment's time: a reservation (for a person) or a maintenance window.</summary>
public sealed record SlotClaim(int EnvironmentId, DateTime StartUtc, DateTime EndUtc)
{
    /// <summary>Whose reservation it is (their limits apply); null for a maintenance window.</summary>
    public Actor? Booker { get; init; }

    /// <summary>The reservation being moved, which does not conflict with itself.</summary>
    public int? Moving { get; init; }

    /// <summary>The booking request's Idempotency-Key: looked up again under the row lock, where a retry cannot miss its own first request.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>A rehearsal runs the whole unit and rolls it back (see <see cref="BookingService.RehearseAsync"/>).</summary>
    public bool Rehearsal { get; init; }

    public static SlotClaim Reservation(int environmentId, DateTime startUtc, DateTime endUtc, Actor booker, int? moving = null) =>
        new(environmentId, startUtc, endUtc) { Booker = booker, Moving = moving };

    public static SlotClaim Maintenance(int environmentId, DateTime startUtc, DateTime endUtc) => new(environmentId, startUtc, endUtc);

    public bool IsReservation => Booker is not null;
}

/// <summary>Why the guard refused; <see cref="Conflicts"/> lists the reservations in the way.</summary>
public sealed record GuardOutcome(IReadOnlyList<ConflictingReservation> Conflicts, string? Refusal = null, bool Stale = false, string? Limit = null, bool DuplicateKey = false)
{
    public static readonly GuardOutcome Written = new([]);
    /// <summary>The first reservation in the way (a booking stops at the first).</summary>
    public ConflictingReservation? Conflict => Conflicts.Count > 0 ? Conflicts[0] : null;
    public bool Succeeded => Conflicts.Count == 0 && Refusal is null && !Stale && Limit is null && !DuplicateKey;
}

/// <summary>
/// The one overlap guard of DESIGN.md, for reservations and maintenance windows alike: inside the
/// provider's execution strategy (which retries deadlocks and busy errors), one serializable
/// transaction takes the environment's row lock, checks the person's limits, looks for live
/// reservations overlapping the claim plus the changeover buffer and for maintenance in the way, and
/// only then lets the write insert or update. A fresh context per attempt keeps retries clean.
/// </summary>
public sealed class SlotGuard(IDbContextFactory<LeaseBoardDb> dbs, IOptionsMonitor<BookingOptions> options, TimeProvider clock, WriteTurns turns)
{
    private BookingOptions Rules => options.CurrentValue;

    public async Task<GuardOutcome> RunAsync(SlotClaim claim, Func<LeaseBoardDb, Task> write, CancellationToken ct)
    {
        var buffer = Rules.ChangeoverBuffer;
        await using var strategyDb = await dbs.CreateDbContextAsync(ct);
        // While another guarded write holds SQLite's one writer, a reservation whose slot committed time already blocks is
        // refused from a plain read, in parallel, instead of queueing for the writer only to be refused there: the losers
        // of a burst for one slot answer at once. It refuses only what the check under the lock would refuse as well.
        if (claim.IsReservation && !claim.Rehearsal && turns.Busy(strategyDb) && await RefusedUnlockedAsync(strategyDb, claim, buffer, ct) is { } early)
            return early;
        return await strategyDb.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            await using var db = await dbs.CreateDbContextAsync(token);
            // The whole unit rolls back on any failure, so the savepoints EF would set around each save are waste.
            db.Database.AutoSavepointsEnabled = false;
            using var turn = await turns.TakeAsync(db, token);
            await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.Serializable, token);
            var outcome = await CheckAsync(db, claim, buffer, token);
            if (outcome is null)
            {
                try
                {
                    await write(db);
                    if (claim.Rehearsal) await transaction.RollbackAsync(token);
                    else await transaction.CommitAsync(token);
                    return GuardOutcome.Written;
                }
                catch (StaleReservationException)
                {
                    outcome = new GuardOutcome([], Stale: true);
                }
                catch (DbUpdateException e) when (IsUniqueViolation(e))
                {
                    outcome = new GuardOutcome([], DuplicateKey: true); // the same Idempotency-Key committed first on another connection
                }
            }
            await transaction.RollbackAsync(token);
            return outcome;
        }, ct);
    }

    /// <summary>Null when the claim may be written; otherwise why not. Runs inside the guard's transaction.</summary>
    private async Task<GuardOutcome?> CheckAsync(LeaseBoardDb db, SlotClaim claim, TimeSpan buffer, CancellationToken ct)
    {
        // The row lock: bookings and maintenance on this environment queue behind each other. A booking
        // also needs the environment in service; maintenance may be planned on one that is not.
        var environment = db.Environments.Where(e => e.Id == claim.EnvironmentId);
        if (claim.IsReservation)
            environment = environment.Where(e => e.State != EnvironmentState.Quarantined && e.State != EnvironmentState.Retired);
        if (await environment.ExecuteUpdateAsync(s => s.SetProperty(e => e.BookingVersion, e => e.BookingVersion + 1), ct) == 0)
            return new GuardOutcome([], "That environment was just taken out of service and cannot be booked.");

        // A retry may have passed the caller's early key lookup while its first request still held this lock.
        if (await KeyUsedAsync(db, claim, ct)) return new GuardOutcome([], DuplicateKey: true);

        if (claim.Booker is { } booker && await CheckUserLimitsAsync(db, booker, claim, ct) is { } limit)
            return new GuardOutcome([], Limit: limit);

        var overlapping = Overlapping(db, claim, buffer);
        if (!claim.IsReservation)
        {
            var conflicts = await overlapping.Select(r => new ConflictingReservation(r.Id, r.Title, r.OwnerName,
                new Slot(r.EnvironmentId, r.Environment!.Key, r.Environment.Name, r.StartUtc, r.EndUtc))).ToListAsync(ct);
            return conflicts.Count > 0 ? new GuardOutcome(conflicts) : null;
        }

        return await FirstBlockerAsync(db, claim, overlapping, buffer, ct);
    }

    /// <summary>
    /// The live reservations in the claim's way: one before it needs its changeover, one after it too when the claim is a
    /// reservation (a maintenance window needs no cleanup after it).
    /// </summary>
    private static IOrderedQueryable<Reservation> Overlapping(LeaseBoardDb db, SlotClaim claim, TimeSpan buffer)
    {
        var (from, to) = (claim.StartUtc - buffer, claim.IsReservation ? claim.EndUtc + buffer : claim.EndUtc);
        return db.Reservations.AsNoTracking()
            .Where(r => r.EnvironmentId == claim.EnvironmentId && ReservationStates.Live.Contains(r.State) && r.Id != claim.Moving
                        && r.StartUtc < to && r.EndUtc > from)
            .OrderBy(r => r.StartUtc);
    }

    /// <summary>The same refusals as the locked check's key and slot steps, from committed data, with no lock and no transaction.</summary>
    private async Task<GuardOutcome?> RefusedUnlockedAsync(LeaseBoardDb db, SlotClaim claim, TimeSpan buffer, CancellationToken ct)
    {
        if (await FirstBlockerAsync(db, claim, Overlapping(db, claim, buffer), buffer, ct) is not { } refused) return null;
        // The key after the slot: two statements are two snapshots, and the blocker seen may be this request's own first
        // attempt, committed between them — once the slot shows it, the key lookup does too.
        return await KeyUsedAsync(db, claim, ct) ? new GuardOutcome([], DuplicateKey: true) : refused;
    }

    private static async Task<bool> KeyUsedAsync(LeaseBoardDb db, SlotClaim claim, CancellationToken ct) =>
        claim is { Booker: { } owner, IdempotencyKey: { } key }
        && await db.Reservations.AnyAsync(r => r.OwnerId == owner.Id && r.IdempotencyKey == key, ct);

    /// <summary>
    /// A reservation stops at the first thing in its way: the first overlapping reservation or an admin's maintenance
    /// window (taken time: a reservation and its changeover may not reach into it), in one query.
    /// </summary>
    private static async Task<GuardOutcome?> FirstBlockerAsync(LeaseBoardDb db, SlotClaim claim, IQueryable<Reservation> overlapping, TimeSpan buffer, CancellationToken ct)
    {
        var to = claim.EndUtc + buffer;
        var blockers = await overlapping.Take(1)
            .Select(r => new { IsMaintenance = false, r.Id, r.Title, r.OwnerName, EnvironmentKey = r.Environment!.Key, EnvironmentName = r.Environment.Name, r.StartUtc, r.EndUtc })
            .Concat(db.MaintenanceWindows.AsNoTracking()
                .Where(m => m.EnvironmentId == claim.EnvironmentId && m.StartUtc < to && m.EndUtc > claim.StartUtc)
                .OrderBy(m => m.StartUtc).Take(1)
                .Select(m => new { IsMaintenance = true, m.Id, Title = m.Reason, OwnerName = "", EnvironmentKey = "", EnvironmentName = "", m.StartUtc, m.EndUtc }))
            .ToListAsync(ct);
        if (blockers.FirstOrDefault(b => !b.IsMaintenance) is { } reservation)
            return new GuardOutcome([new ConflictingReservation(reservation.Id, reservation.Title, reservation.OwnerName,
                new Slot(claim.EnvironmentId, reservation.EnvironmentKey, reservation.EnvironmentName, reservation.StartUtc, reservation.EndUtc))]);
        return blockers.FirstOrDefault() is { } maintenance
            ? new GuardOutcome([], $"That environment is blocked for maintenance {TimeText.Utc(maintenance.StartUtc)}–{TimeText.Utc(maintenance.EndUtc)} ({maintenance.Title}).")
            : null;
    }

    /// <summary>
    /// The fair-use limits (<see cref="FairUse"/>), checked inside the guard's transaction so that simultaneous bookings
    /// cannot slip past them. An admin, or a person with an admin's exception in force, is exempt, and each exemption
    /// used is audited with the claim's write (both commit or neither does).
    /// </summary>
    private async Task<string?> CheckUserLimitsAsync(LeaseBoardDb db, Actor booker, SlotClaim claim, CancellationToken ct)
    {
        var rules = Rules;
        var now = clock.GetUtcNow().UtcDateTime;
        var team = rules.Teams.Count == 0 ? null
            : Teams.Named(rules, await db.People.Where(p => p.Id == booker.Id).Select(p => p.Team).FirstOrDefaultAsync(ct));
        var weekStart = BookingRules.WeekStart(claim.StartUtc);
        var weekEnd = weekStart.AddDays(7);
        var from = claim.StartUtc < now ? claim.StartUtc : now;
        // One query for every limit: the live reservations (the booker's, or their team's) that are upcoming, overlap the claim or fall in its
        // week, and the claim's week's reservations that have run, for the time they ran — unless the infrastructure failed them.
        var live = db.Reservations.Where(r => r.Id != claim.Moving
                                              && ((r.State == ReservationState.Scheduled || r.State == ReservationState.Active)
                                                  && (r.EndUtc > from || (r.StartUtc >= weekStart && r.StartUtc < weekEnd))
                                                  || FairUse.RanStates.Contains(r.State) && r.StartUtc >= weekStart && r.StartUtc < weekEnd
                                                  && r.Runs.Any(x => x.Attribution != null && x.Attribution != RunAttribution.Infrastructure)));
        var teamName = team?.Name.Trim();
        live = teamName is null
            ? live.Where(r => r.OwnerId == booker.Id)
            : live.Where(r => r.OwnerId == booker.Id || db.People.Any(p => p.Id == r.OwnerId && p.Team == teamName));
        var held = await live.Select(r => new HeldSlot(r.OwnerId, r.Environment!.Name, r.Title, r.StartUtc,
            r.EndedUtc != null && r.EndedUtc < r.EndUtc ? r.EndedUtc.Value : r.EndUtc)).ToListAsync(ct);

        if (FairUse.Refusal(new FairUseClaim(booker.Id, team, claim.StartUtc, claim.EndUtc, claim.Moving is not null, now), held, rules) is not { } refusal)
            return null;
        string exemption;
        if (booker.IsAdmin) exemption = "as an admin";
        else if (await db.LimitExceptions.AsNoTracking().Where(x => x.UserId == booker.Id && x.RevokedUtc == null && x.EndsUtc > now)
                     .OrderByDescending(x => x.EndsUtc).FirstOrDefaultAsync(ct) is { } granted)
            exemption = $"by the exception {granted.GrantedBy} granted until {TimeText.Utc(granted.EndsUtc)} (“{granted.Reason}”)";
        else return refusal;
        db.AuditEntries.Add(AuditEntry.For(booker, AuditActions.LimitExempted,
            $"{booker.DisplayName} is exempt {exemption} from: {refusal}", clock, claim.EnvironmentId));
        return null;
    }

    private static bool IsUniqueViolation(DbUpdateException e) => e.InnerException switch
    {
        Microsoft.Data.Sqlite.SqliteException { SqliteExtendedErrorCode: 2067 } => true, // SQLITE_CONSTRAINT_UNIQUE
        Microsoft.Data.SqlClient.SqlException { Number: 2601 or 2627 } => true, // duplicate key
        _ => false,
    };
}

/// <summary>Thrown by a guarded write that finds the reservation changed since it was read: the guard rolls back and says so.</summary>
public sealed class StaleReservationException : Exception;
