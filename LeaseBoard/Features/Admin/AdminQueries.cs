using LeaseBoard.Features.Booking;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Features.Admin;

public sealed record LeaseSummary(int ReservationId, string Title, string OwnerName, int ProgressPercent, TestRunState? RunState, DateTime SinceUtc, DateTime EndUtc);

public sealed record NextReservation(string Title, string OwnerName, DateTime StartUtc, bool AtRisk);


public sealed record AdminEnvironmentRow(
    int Id, string Key, string Name, EnvironmentState State, HealthStatus Health, int? LatencyMs, DateTime? LastCheckUtc, int Failures,
    string? HealthDetail, string? QuarantineReason, string? QuarantinedBy, LeaseSummary? Lease, NextReservation? Next, MaintenanceRow? Maintenance);

public sealed record AuditFilter(int? EnvironmentId = null, string? User = null, string? Action = null, DateTime? FromUtc = null, DateTime? ToUtc = null)
{
    /// <summary>No filter set: the whole log.</summary>
    public bool IsEmpty => EnvironmentId is null && string.IsNullOrWhiteSpace(User) && string.IsNullOrWhiteSpace(Action) && FromUtc is null && ToUtc is null;
}

public sealed record AuditRow(long Id, DateTime AtUtc, string Actor, string Action, string? EnvironmentKey, int? ReservationId, string Details,
    string? EnvironmentName = null, string? ActorName = null)
{
    /// <summary>Who, for people: the name they last signed in with, LeaseBoard itself, or the id of someone never seen signing in.</summary>
    public string Who => ActorName ?? (Actor == LeaseBoard.Domain.Actor.System.Id ? LeaseBoard.Domain.Actor.System.DisplayName : Actor);
}

public sealed record AuditPage(IReadOnlyList<AuditRow> Rows, int Total);

/// <summary>What the admin page shows. Reads only; the page and the CSV endpoint are admin-only by policy.</summary>
public sealed class AdminQueries(IDbContextFactory<LeaseBoardDb> dbs, TimeProvider clock)
{
    public async Task<List<AdminEnvironmentRow>> EnvironmentsAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var environments = await db.Environments.AsNoTracking().OrderBy(e => e.SortOrder).ToListAsync(ct);
        var leases = await db.Reservations.AsNoTracking()
            .Where(r => r.State == ReservationState.Active || r.State == ReservationState.Releasing)
            .Select(r => new
            {
                r.EnvironmentId, r.Id, r.Title, r.OwnerName, r.StartUtc, r.EndUtc,
                Run = r.Runs.OrderByDescending(x => x.Id).Select(x => new { x.ProgressPercent, x.State, x.StartedUtc }).FirstOrDefault(),
            }).ToListAsync(ct);
        var upcoming = await db.Reservations.AsNoTracking()
            .Where(r => r.State == ReservationState.Scheduled && r.EndUtc > now)
            .OrderBy(r => r.StartUtc)
            .Select(r => new { r.EnvironmentId, r.Title, r.OwnerName, r.StartUtc, r.AtRisk }).ToListAsync(ct);
        var maintenance = await db.MaintenanceWindows.AsNoTracking().Where(m => m.EndUtc > now).OrderBy(m => m.StartUtc).ToListAsync(ct);

        return environments.Select(e =>
        {
            var lease = leases.FirstOrDefault(l => l.EnvironmentId == e.Id);
            var next = upcoming.FirstOrDefault(u => u.EnvironmentId == e.Id);
            var window = maintenance.FirstOrDefault(m => m.EnvironmentId == e.Id);
            return new AdminEnvironmentRow(e.Id, e.Key, e.Name, e.State, e.Health, e.HealthLatencyMs, e.LastHealthCheckUtc, e.ConsecutiveHealthFailures,
                e.HealthDetail, e.QuarantineReason, e.QuarantinedBy,
                lease is null ? null : new LeaseSummary(lease.Id, lease.Title, lease.OwnerName, lease.Run?.ProgressPercent ?? 0, lease.Run?.State,
                    lease.Run?.StartedUtc ?? lease.StartUtc, lease.EndUtc),
                next is null ? null : new NextReservation(next.Title, next.OwnerName, next.StartUtc, next.AtRisk),
                window is null ? null : new MaintenanceRow(window.Id, window.StartUtc, window.EndUtc, window.Reason));
        }).ToList();
    }


    /// <summary>Audit entries matching the filter, newest first, one page at a time.</summary>
    public async Task<AuditPage> AuditAsync(AuditFilter filter, int page, int pageSize, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var query = Filtered(db, filter);
        var total = await query.CountAsync(ct);
        var rows = await Project(db, query.OrderByDescending(a => a.AtUtc).ThenByDescending(a => a.Id).Skip(Math.Max(0, page) * pageSize).Take(pageSize))
            .ToListAsync(ct);
        return new AuditPage(rows, total);
    }

    /// <summary>Every matching entry, newest first, streamed for the CSV export (capped so one request cannot exhaust the server).</summary>
    public async IAsyncEnumerable<AuditRow> AuditForExportAsync(AuditFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var query = Project(db, Filtered(db, filter).OrderByDescending(a => a.AtUtc).ThenByDescending(a => a.Id).Take(100_000));
        await foreach (var row in query.AsAsyncEnumerable().WithCancellation(ct))
            yield return row;
    }

    public async Task<List<string>> ActionsAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.AuditEntries.Select(a => a.Action).Distinct().OrderBy(a => a).ToListAsync(ct);
    }

    private static IQueryable<AuditEntry> Filtered(LeaseBoardDb db, AuditFilter filter)
    {
        var query = db.AuditEntries.AsNoTracking();
        if (filter.EnvironmentId is { } environmentId) query = query.Where(a => a.EnvironmentId == environmentId);
        if (!string.IsNullOrWhiteSpace(filter.User))
        {
            var user = filter.User.Trim();
            query = query.Where(a => a.Actor.Contains(user) || db.People.Any(p => p.Id == a.Actor && p.DisplayName.Contains(user)));
        }
        if (!string.IsNullOrWhiteSpace(filter.Action)) query = query.Where(a => a.Action == filter.Action);
        if (filter.FromUtc is { } from) query = query.Where(a => a.AtUtc >= from);
        if (filter.ToUtc is { } to) query = query.Where(a => a.AtUtc < to);
        return query;
    }

    private static IQueryable<AuditRow> Project(LeaseBoardDb db, IQueryable<AuditEntry> query) =>
        from a in query
        join e in db.Environments on a.EnvironmentId equals e.Id into environments
        from e in environments.DefaultIfEmpty()
        join p in db.People on a.Actor equals p.Id into people
        from p in people.DefaultIfEmpty()
        select new AuditRow(a.Id, a.AtUtc, a.Actor, a.Action, e == null ? null : e.Key, a.ReservationId, a.Details, e == null ? null : e.Name,
            p == null ? null : p.DisplayName);
}
