using LeaseBoard.Data;
using LeaseBoard.Domain;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Features.Wall;

public sealed record WallLease(
    int ReservationId, string Title, string OwnerName, TestKind Kind, DateTime StartUtc, DateTime EndUtc, ReservationState State,
    TestRunState? RunState, int ProgressPercent, DateTime? RunStartedUtc, DateTime? LastHeartbeatUtc,
    RunStopReason? StopReason = null);

public sealed record WallNext(string Title, string OwnerName, DateTime StartUtc);

public sealed record WallSample(DateTime AtUtc, HealthStatus Status, int LatencyMs);

/// <summary>Everything the wall shows about one environment, as read from the database.</summary>
public sealed record WallEnvironment(
    int Id, string Key, string Name, string Description, EnvironmentState State, DateTime? StateSinceUtc, HealthStatus Health, DateTime? LastHealthCheckUtc,
    int? HealthLatencyMs, string? QuarantineReason, WallLease? Lease, WallNext? Next, IReadOnlyList<WallSample> Samples);

/// <param name="Queued">Tests waiting in the "as soon as possible" queue (issue 16), shown in the banner.</param>
public sealed record WallSnapshot(IReadOnlyList<WallEnvironment> Environments, DateTime LoadedUtc, int Queued = 0)
{
    public static readonly WallSnapshot Empty = new([], DateTime.MinValue);
}

/// <summary>The wall's one query set: environments, their leases and runs, what is next, and an hour of health samples.</summary>
public sealed class WallQueries(IDbContextFactory<LeaseBoardDb> dbs, TimeProvider clock)
{
    public static readonly TimeSpan SparklineSpan = TimeSpan.FromHours(1);
    private static readonly TimeSpan NextHorizon = TimeSpan.FromDays(7);

    public async Task<WallSnapshot> LoadAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var environments = await db.Environments.AsNoTracking()
            .Where(e => e.State != EnvironmentState.Retired)
            .OrderBy(e => e.SortOrder).ThenBy(e => e.Key)
            .ToListAsync(ct);

        var leases = await db.Reservations.AsNoTracking()
            .Where(r => r.State == ReservationState.Active || r.State == ReservationState.Releasing)
            .Select(r => new
            {
                r.EnvironmentId,
                Lease = new WallLease(r.Id, r.Title, r.OwnerName, r.TestKind, r.StartUtc, r.EndUtc, r.State,
                    r.Runs.OrderByDescending(x => x.Id).Select(x => (TestRunState?)x.State).FirstOrDefault(),
                    r.Runs.OrderByDescending(x => x.Id).Select(x => x.ProgressPercent).FirstOrDefault(),
                    r.Runs.OrderByDescending(x => x.Id).Select(x => (DateTime?)x.StartedUtc).FirstOrDefault(),
                    r.Runs.OrderByDescending(x => x.Id).Select(x => x.LastHeartbeatUtc).FirstOrDefault(),
                    r.Runs.OrderByDescending(x => x.Id).Select(x => x.StopReason).FirstOrDefault()),
            })
            .ToListAsync(ct);

        var horizon = now + NextHorizon;
        var upcoming = await db.Reservations.AsNoTracking()
            .Where(r => r.State == ReservationState.Scheduled && r.EndUtc > now && r.StartUtc < horizon)
            .OrderBy(r => r.StartUtc)
            .Select(r => new { r.EnvironmentId, Next = new WallNext(r.Title, r.OwnerName, r.StartUtc) })
            .ToListAsync(ct);

        var since = now - SparklineSpan;
        var samples = await db.HealthSamples.AsNoTracking()
            .Where(s => s.AtUtc >= since)
            .OrderBy(s => s.AtUtc)
            .Select(s => new { s.EnvironmentId, Sample = new WallSample(s.AtUtc, s.Status, s.LatencyMs) })
            .ToListAsync(ct);

        var queued = await db.QueueEntries.CountAsync(e => e.State == QueueEntryState.Waiting, ct);

        var leaseByEnv = leases.GroupBy(l => l.EnvironmentId).ToDictionary(g => g.Key, g => g.First().Lease);
        var nextByEnv = upcoming.GroupBy(u => u.EnvironmentId).ToDictionary(g => g.Key, g => g.First().Next);
        var samplesByEnv = samples.GroupBy(s => s.EnvironmentId).ToDictionary(g => g.Key, g => (IReadOnlyList<WallSample>)g.Select(s => s.Sample).ToList());

        var rows = environments.Select(e => new WallEnvironment(
            e.Id, e.Key, e.Name, e.Description, e.State, e.StateSinceUtc, e.Health, e.LastHealthCheckUtc, e.HealthLatencyMs, e.QuarantineReason,
            leaseByEnv.GetValueOrDefault(e.Id), nextByEnv.GetValueOrDefault(e.Id), samplesByEnv.GetValueOrDefault(e.Id) ?? [])).ToList();
        return new WallSnapshot(rows, now, queued);
    }
}
