using LeaseBoard.Data;
using LeaseBoard.Domain;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Features.Api;

/// <summary>The API's read side: reservations and environments as the API shows them.</summary>
public sealed class ApiQueries(IDbContextFactory<LeaseBoardDb> dbs, TimeProvider clock)
{
    public async Task<ReservationDto?> ReservationAsync(int id, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return (await Load(db.Reservations.Where(r => r.Id == id)).FirstOrDefaultAsync(ct)) is { } r ? ToDto(r) : null;
    }

    public async Task<Page<ReservationDto>> ReservationsAsync(string? environment, DateTime? fromUtc, DateTime? toUtc, string? ownerId, int skip, int take, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var query = db.Reservations.Where(r => r.State != ReservationState.Cancelled);
        if (environment is not null) query = query.Where(r => r.Environment!.Key == environment);
        if (fromUtc is { } from) query = query.Where(r => r.EndUtc > from);
        if (toUtc is { } to) query = query.Where(r => r.StartUtc < to);
        if (ownerId is not null) query = query.Where(r => r.OwnerId == ownerId);
        var total = await query.CountAsync(ct);
        var rows = await Load(query).OrderBy(r => r.StartUtc).ThenBy(r => r.Id).Skip(skip).Take(take).ToListAsync(ct);
        return new Page<ReservationDto>(rows.Select(ToDto).ToList(), total, skip, take);
    }

    public async Task<List<EnvironmentDto>> EnvironmentsAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var environments = await db.Environments.AsNoTracking().Where(e => e.State != EnvironmentState.Retired).OrderBy(e => e.SortOrder).ToListAsync(ct);
        var live = await Load(db.Reservations.Where(r => ReservationStates.Live.Contains(r.State) && r.EndUtc > now)).OrderBy(r => r.StartUtc).ToListAsync(ct);
        return environments.Select(e =>
        {
            var mine = live.Where(r => r.EnvironmentId == e.Id).ToList();
            var current = mine.FirstOrDefault(r => r.State != ReservationState.Scheduled);
            var next = mine.FirstOrDefault(r => r.State == ReservationState.Scheduled);
            return new EnvironmentDto(e.Key, e.Name, e.State, e.Health, e.HealthLatencyMs, e.LastHealthCheckUtc, e.QuarantineReason,
                current is null ? null : ToDto(current), next is null ? null : ToDto(next));
        }).ToList();
    }

    /// <summary>An environment's id by its key. A key names one environment for good (it is retired, never deleted), so a found id is remembered.</summary>
    public async Task<int?> EnvironmentIdAsync(string? key, CancellationToken ct)
    {
        if (key is null) return null;
        if (_environmentIds.TryGetValue(key, out var known)) return known;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var id = await db.Environments.Where(e => e.Key == key).Select(e => (int?)e.Id).FirstOrDefaultAsync(ct);
        if (id is { } found) _environmentIds.TryAdd(key, found);
        return id;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _environmentIds = new(StringComparer.Ordinal);

    private static IQueryable<Reservation> Load(IQueryable<Reservation> reservations) =>
        reservations.AsNoTracking().Include(r => r.Environment).Include(r => r.Runs);

    /// <summary>Every environment's key by id (the queue's environment constraints are ids).</summary>
    public async Task<Dictionary<int, string>> EnvironmentKeysAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Environments.AsNoTracking().ToDictionaryAsync(e => e.Id, e => e.Key, ct);
    }

    public static ReservationDto ToDto(Reservation r)
    {
        var run = r.Runs.OrderByDescending(x => x.Id).FirstOrDefault();
        return new ReservationDto(r.Id, r.Environment?.Key ?? "", r.OwnerName, r.Title, r.TestKind, r.TestSpec, r.StartUtc, r.EndUtc, r.State, r.Outcome,
            r.AtRisk, r.EndedUtc, run is null ? null : new RunDto(run.State, run.ProgressPercent, run.StartedUtc, run.LastProgressUtc, run.EndedUtc, run.Detail, run.Attribution));
    }
}
