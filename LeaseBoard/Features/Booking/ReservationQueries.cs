using LeaseBoard.Data;
using LeaseBoard.Domain;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Features.Booking;

/// <summary>A reservation as lists show it, with its environment and its latest run.</summary>
public sealed record ReservationRow(
    int Id, int EnvironmentId, string EnvironmentKey, string EnvironmentName, string OwnerId, string OwnerName,
    string Title, TestKind TestKind, string TestSpec, DateTime StartUtc, DateTime EndUtc, ReservationState State, string? Outcome, bool AtRisk,
    TestRunState? RunState, int? RunProgress, RunAttribution? Attribution = null)
{
    public TimeSpan Duration => EndUtc - StartUtc;
}

public sealed record EnvironmentRow(int Id, string Key, string Name, string Description, EnvironmentState State, HealthStatus Health, string? QuarantineReason)
{
    public bool IsBookable => State is not (EnvironmentState.Quarantined or EnvironmentState.Retired);
}

/// <summary>Read-side queries for the booking pages; each one a single indexed query.</summary>
public sealed class ReservationQueries(IDbContextFactory<LeaseBoardDb> dbs, TimeProvider clock)
{
    public async Task<List<EnvironmentRow>> EnvironmentsAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Environments(db).ToListAsync(ct);
    }

    /// <summary>The bookable lanes in their order (retired environments left out).</summary>
    internal static IQueryable<EnvironmentRow> Environments(LeaseBoardDb db) =>
        db.Environments.AsNoTracking()
            .Where(e => e.State != EnvironmentState.Retired)
            .OrderBy(e => e.SortOrder)
            .Select(e => new EnvironmentRow(e.Id, e.Key, e.Name, e.Description, e.State, e.Health, e.QuarantineReason));

    /// <summary>Reservations that overlap <c>[fromUtc, toUtc)</c>, live or finished, on every environment.</summary>
    public async Task<List<ReservationRow>> BetweenAsync(DateTime fromUtc, DateTime toUtc, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Rows(db.Reservations.Where(r => r.StartUtc < toUtc && r.EndUtc > fromUtc && r.State != ReservationState.Cancelled)
            .OrderBy(r => r.StartUtc)).ToListAsync(ct);
    }

    /// <summary>The user's reservations that are upcoming or running (soonest first), then the most recent finished ones (newest first).</summary>
    public async Task<List<ReservationRow>> MineAsync(string ownerId, int recentFinished = 20, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var live = await MineLive(db, ownerId).ToListAsync(ct);
        var finished = await MineFinished(db, ownerId, recentFinished).ToListAsync(ct);
        return [.. live, .. finished];
    }

    // Sorting and limiting happen on the entity, before the projection: EF cannot translate an
    // OrderBy on a member of the constructed row.
    internal static IQueryable<ReservationRow> MineLive(LeaseBoardDb db, string ownerId) =>
        Rows(db.Reservations.Where(r => r.OwnerId == ownerId && ReservationStates.Live.Contains(r.State))
            .OrderBy(r => r.StartUtc).ThenBy(r => r.Id));

    internal static IQueryable<ReservationRow> MineFinished(LeaseBoardDb db, string ownerId, int take) =>
        Rows(db.Reservations.Where(r => r.OwnerId == ownerId && !ReservationStates.Live.Contains(r.State))
            .OrderByDescending(r => r.StartUtc).ThenByDescending(r => r.Id).Take(take));

    /// <summary>The running leases: who holds each environment now, whatever period a page shows.</summary>
    public async Task<List<ReservationRow>> ActiveAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Rows(db.Reservations.Where(r => r.State == ReservationState.Active).OrderBy(r => r.StartUtc)).ToListAsync(ct);
    }

    public async Task<ReservationRow?> ByIdAsync(int id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Rows(db.Reservations.Where(r => r.Id == id)).FirstOrDefaultAsync(ct);
    }

    public DateTime UtcNow => clock.GetUtcNow().UtcDateTime;

    /// <summary>The row projection; the caller filters and orders the reservations first.</summary>
    internal static IQueryable<ReservationRow> Rows(IQueryable<Reservation> reservations) =>
        reservations.Select(r => new ReservationRow(
            r.Id, r.EnvironmentId, r.Environment!.Key, r.Environment.Name, r.OwnerId, r.OwnerName,
            r.Title, r.TestKind, r.TestSpec, r.StartUtc, r.EndUtc, r.State, r.Outcome, r.AtRisk,
            r.Runs.OrderByDescending(x => x.Id).Select(x => (TestRunState?)x.State).FirstOrDefault(),
            r.Runs.OrderByDescending(x => x.Id).Select(x => (int?)x.ProgressPercent).FirstOrDefault(),
            r.Runs.OrderByDescending(x => x.Id).Select(x => x.Attribution).FirstOrDefault()));
}
