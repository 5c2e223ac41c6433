using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.LiveUpdates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Queue;

/// <summary>
/// Adds, lists and cancels queue entries. Placing them is <see cref="QueuePlacer"/>'s job; a new entry publishes
/// <see cref="QueueChanged"/>, which makes the queue's triggers run a pass.
/// </summary>
public sealed class QueueService(
    IDbContextFactory<LeaseBoardDb> dbs,
    IOptionsMonitor<BookingOptions> booking,
    IOptionsMonitor<QueueOptions> options,
    TimeProvider clock,
    BoardEvents events)
{
    private BookingOptions Rules => booking.CurrentValue;
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public async Task<QueueResult> EnqueueAsync(QueueRequest request, Actor actor, CancellationToken ct = default)
    {
        if (request.IdempotencyKey is { } key && await ByIdempotencyKeyAsync(actor, key, ct) is { } earlier) return earlier;
        var now = Now;
        if (Check(request, now) is { } invalid) return QueueResult.Invalid(invalid);

        await using var db = await dbs.CreateDbContextAsync(ct);
        var allowed = request.EnvironmentIds is { Count: > 0 } ids ? ids.Distinct().ToList() : null;
        if (allowed is not null)
        {
            var known = await db.Environments.AsNoTracking().Where(e => allowed.Contains(e.Id)).Select(e => new { e.Id, e.State }).ToListAsync(ct);
            if (allowed.Except(known.Select(k => k.Id)).FirstOrDefault() is var missing and > 0)
                return QueueResult.Invalid($"Environment {missing} does not exist.");
            if (known.All(k => k.State == EnvironmentState.Retired))
                return QueueResult.Invalid("Every environment you allowed is retired: the test could never run. Allow another environment, or any.");
        }
        var cap = options.CurrentValue.MaxWaitingPerUser;
        if (await db.QueueEntries.CountAsync(e => e.OwnerId == actor.Id && e.State == QueueEntryState.Waiting, ct) >= cap)
            return new QueueResult(QueueOutcome.LimitReached,
                $"You already have {cap} tests waiting in the queue, the most one person may have. Cancel one or wait until one is placed.");

        var entry = new QueueEntry
        {
            OwnerId = actor.Id, OwnerName = actor.DisplayName, Title = request.Title.Trim(), TestKind = request.TestKind,
            TestSpec = request.TestSpec?.Trim() ?? "", Duration = request.Duration, AllowedEnvironments = allowed,
            NotBeforeUtc = request.NotBeforeUtc, MustFinishByUtc = request.MustFinishByUtc, CreatedUtc = now, UpdatedUtc = now,
            IdempotencyKey = request.IdempotencyKey,
        };
        db.QueueEntries.Add(entry);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException) when (request.IdempotencyKey is not null)
        {
            // The same key committed first on another request: that entry is the answer.
            return await ByIdempotencyKeyAsync(actor, request.IdempotencyKey, ct) ?? throw new InvalidOperationException("The queue entry could not be saved.");
        }
        db.AuditEntries.Add(AuditEntry.For(actor, AuditActions.QueueEntryAdded,
            $"Queued '{entry.Title}' ({BookingRules.Describe(entry.Duration)}, {Where(entry)}) as entry {entry.Id}.", clock));
        await db.SaveChangesAsync(ct);
        events.Publish(new QueueChanged(entry.Id, entry.OwnerId, entry.State));
        return new QueueResult(QueueOutcome.Queued, $"Queued '{entry.Title}': it runs in the first gap that fits.", QueueEntryView.Of(entry));
    }

    /// <summary>The checks that need no database: the booking's text and duration rules, and times that can be met.</summary>
    public string? Check(QueueRequest request, DateTime now)
    {
        var rules = Rules;
        if (BookingRules.CheckText(request.Title, request.TestSpec) is { } text) return text;
        if (BookingRules.CheckDuration(request.Duration, rules) is { } duration) return duration;
        if (request.Duration.Ticks % rules.Grid.Ticks != 0)
            return $"The duration must be a whole number of {rules.GridMinutes}-minute steps (for example 45 minutes or 1 h 30 min).";
        if (request.NotBeforeUtc is { Kind: not DateTimeKind.Utc } || request.MustFinishByUtc is { Kind: not DateTimeKind.Utc })
            throw new ArgumentException("Queue times must be UTC.");
        if (request.NotBeforeUtc is { } notBefore && notBefore > now + rules.Horizon)
            return $"Not-before may lie at most {BookingRules.Describe(rules.Horizon)} ahead.";
        if (request.MustFinishByUtc is { } finishBy)
        {
            var earliest = (request.NotBeforeUtc is { } nb && nb > now ? nb : now) + request.Duration;
            if (finishBy < earliest)
                return $"Must-finish-by {TimeText.Utc(finishBy)} cannot be met: a {BookingRules.Describe(request.Duration)} test started at the earliest would end {TimeText.Utc(earliest)}.";
            if (finishBy > now + rules.Horizon + rules.MaxDuration)
                return $"Must-finish-by may lie at most {BookingRules.Describe(rules.Horizon)} ahead.";
        }
        return null;
    }

    public async Task<QueueResult> CancelAsync(int id, Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var entry = await db.QueueEntries.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, ct);
        if (entry is null) return QueueResult.NotFound(id);
        if (!actor.IsAdmin && entry.OwnerId != actor.Id) return QueueResult.Forbidden("Only the owner or an admin can cancel this queue entry.");
        var outcome = actor.Id == entry.OwnerId ? "Cancelled by its owner." : $"Cancelled by {actor.DisplayName}.";
        // Conditional: of a cancel and a placement at the same moment exactly one wins.
        var changed = await db.QueueEntries.Where(e => e.Id == id && e.State == QueueEntryState.Waiting)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.State, QueueEntryState.Cancelled).SetProperty(e => e.Outcome, outcome)
                .SetProperty(e => e.UpdatedUtc, Now).SetProperty(e => e.Version, Guid.NewGuid()), ct);
        if (changed == 0)
        {
            var current = await db.QueueEntries.AsNoTracking().FirstAsync(e => e.Id == id, ct);
            return QueueResult.Invalid(current.State == QueueEntryState.Placed
                ? $"'{current.Title}' was already placed as reservation {current.ReservationId}; cancel that reservation instead."
                : $"'{current.Title}' is no longer waiting ({current.State}).") with { Entry = QueueEntryView.Of(current) };
        }
        db.AuditEntries.Add(AuditEntry.For(actor, AuditActions.QueueEntryCancelled, $"Queue entry {id} '{entry.Title}' of {entry.OwnerName}: {outcome}", clock));
        await db.SaveChangesAsync(ct);
        events.Publish(new QueueChanged(id, entry.OwnerId, QueueEntryState.Cancelled));
        entry.State = QueueEntryState.Cancelled;
        entry.Outcome = outcome;
        return new QueueResult(QueueOutcome.Cancelled, $"'{entry.Title}' left the queue.", QueueEntryView.Of(entry));
    }

    public async Task<QueueResult> GetAsync(int id, Actor actor, CancellationToken ct = default)
    {
        var all = await ListAsync(null, ct, includeId: id);
        var entry = all.FirstOrDefault(e => e.Id == id);
        if (entry is null) return QueueResult.NotFound(id);
        if (!actor.IsAdmin && entry.OwnerId != actor.Id) return QueueResult.Forbidden("Only the owner or an admin can see this queue entry.");
        return new QueueResult(QueueOutcome.Found, $"'{entry.Title}' is {entry.State}.", entry);
    }

    /// <summary>
    /// The waiting entries in queue order — each with its position and the start the current calendar gives it if the
    /// entries before it take their gaps first — then the recently finished ones (placed, expired, cancelled in the last
    /// day). <paramref name="ownerId"/> null: everyone's (positions are always in the whole queue).
    /// </summary>
    public async Task<List<QueueEntryView>> ListAsync(string? ownerId, CancellationToken ct = default, int? includeId = null)
    {
        var now = Now;
        var rules = Rules;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var waiting = await db.QueueEntries.AsNoTracking().Where(e => e.State == QueueEntryState.Waiting).ToListAsync(ct);
        var lastServed = await QueuePlacer.LastServedAsync(db, now, ct);
        var order = QueuePlan.FairOrder(waiting, lastServed);

        var horizon = now + options.CurrentValue.EstimateHorizon;
        var board = await QueuePlacer.LoadBoardAsync(db, now, horizon + rules.MaxDuration, rules.ChangeoverBuffer, ct);
        var views = new List<QueueEntryView>();
        var start = QueuePlacer.PlacementStart(now, rules);
        foreach (var (entry, index) in order.Select((e, i) => (e, i)))
        {
            var from = entry.NotBeforeUtc is { } nb && nb > start ? BookingRules.CeilToGrid(nb, rules) : start;
            DateTime? best = null;
            int bestEnvironment = 0;
            foreach (var environment in board.Environments.Where(entry.Allows))
            {
                var at = QueuePlan.EarliestStart(board.Busy, environment, from, entry.Duration, rules.ChangeoverBuffer, rules.Grid);
                if (at <= horizon && (best is null || at < best)) (best, bestEnvironment) = (at, environment);
            }
            if (best is { } estimated)
            {
                if (entry.MustFinishByUtc is { } by && estimated + entry.Duration > by) best = null;
                else board.Busy.Add(new Busy(bestEnvironment, estimated, estimated + entry.Duration, IsMaintenance: false));
            }
            if (ownerId is null || entry.OwnerId == ownerId) views.Add(QueueEntryView.Of(entry, index + 1, best));
        }

        var since = now - TimeSpan.FromDays(1);
        var finished = await db.QueueEntries.AsNoTracking()
            .Where(e => e.State != QueueEntryState.Waiting && (ownerId == null || e.OwnerId == ownerId) && (e.UpdatedUtc >= since || e.Id == includeId))
            .OrderByDescending(e => e.UpdatedUtc).Take(50).ToListAsync(ct);
        views.AddRange(finished.Select(e => QueueEntryView.Of(e)));
        return views;
    }

    /// <summary>How many entries wait (the wall's banner).</summary>
    public async Task<int> WaitingCountAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.QueueEntries.CountAsync(e => e.State == QueueEntryState.Waiting, ct);
    }

    private async Task<QueueResult?> ByIdempotencyKeyAsync(Actor actor, string key, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var earlier = await db.QueueEntries.AsNoTracking().FirstOrDefaultAsync(e => e.OwnerId == actor.Id && e.IdempotencyKey == key, ct);
        return earlier is null ? null
            : new QueueResult(QueueOutcome.Queued, $"Already queued with this Idempotency-Key: entry {earlier.Id}.", QueueEntryView.Of(earlier)) { Replayed = true };
    }

    private static string Where(QueueEntry entry) =>
        entry.AllowedEnvironments is { } ids ? $"environments {string.Join(", ", ids)}" : "any environment";
}
