using LeaseBoard.Data;
using LeaseBoard.Domain;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Features.Reliability;

/// <summary>One environment's figures over a period.</summary>
/// <param name="Utilisation">The share of the period its runs ran (0–1).</param>
/// <param name="InfrastructureFailureRate">The share of its finished runs that failed through the infrastructure (0–1); null without runs.</param>
/// <param name="MeanTimeBetweenInfrastructureFailures">Time in service divided by infrastructure failures; null without any.</param>
public sealed record EnvironmentReliability(
    string Key, string Name, int Runs, double Utilisation, int InfrastructureFailures, double? InfrastructureFailureRate, int Hangs,
    TimeSpan? MeanTimeBetweenInfrastructureFailures, TimeSpan Quarantined);

/// <summary>Every environment's figures over the period that ends now.</summary>
public sealed record ReliabilityReport(TimeSpan Period, DateTime FromUtc, DateTime ToUtc, IReadOnlyList<EnvironmentReliability> Environments)
{
    public bool HasRuns => Environments.Any(e => e.Runs > 0);
}

/// <summary>
/// The reliability figures of <c>/reliability</c>, from the runs (their times and attributions) and the audit log's
/// quarantines and returns: two indexed queries for the whole pool, whatever the period.
/// </summary>
public sealed class ReliabilityQueries(IDbContextFactory<LeaseBoardDb> dbs, TimeProvider clock)
{
    public static readonly TimeSpan[] Periods = [TimeSpan.FromDays(7), TimeSpan.FromDays(30)];

    private static readonly string[] QuarantineActions =
        [AuditActions.EnvironmentQuarantined, AuditActions.EnvironmentReturned, AuditActions.AdminReturn, AuditActions.EnvironmentRetired];

    public async Task<ReliabilityReport> ForAsync(TimeSpan period, CancellationToken ct = default)
    {
        var to = clock.GetUtcNow().UtcDateTime;
        var from = to - period;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var environments = await db.Environments.AsNoTracking().Where(e => e.State != EnvironmentState.Retired)
            .OrderBy(e => e.SortOrder).Select(e => new { e.Id, e.Key, e.Name, e.State }).ToListAsync(ct);
        var runs = await db.TestRuns.AsNoTracking()
            .Where(r => r.StartedUtc < to && (r.EndedUtc == null || r.EndedUtc > from))
            .Select(r => new RunSpan(r.EnvironmentId, r.StartedUtc, r.EndedUtc, r.State, r.Attribution)).ToListAsync(ct);
        var marks = await db.AuditEntries.AsNoTracking()
            .Where(a => a.EnvironmentId != null && a.AtUtc < to && QuarantineActions.Contains(a.Action))
            .OrderBy(a => a.AtUtc).Select(a => new Mark(a.EnvironmentId!.Value, a.AtUtc, a.Action)).ToListAsync(ct);

        var rows = environments.Select(e =>
        {
            var mine = runs.Where(r => r.EnvironmentId == e.Id).ToList();
            var ran = mine.Sum(r => (Clip(r.EndedUtc ?? to, from, to) - Clip(r.StartedUtc, from, to)).TotalSeconds);
            // A run counts in the period it ended in; one still running counts once it ends.
            var finished = mine.Where(r => r.EndedUtc is { } ended && ended > from && ended <= to).ToList();
            var infrastructure = finished.Count(r => r.Attribution == RunAttribution.Infrastructure);
            var quarantined = QuarantinedWithin(marks.Where(m => m.EnvironmentId == e.Id).ToList(), e.State == EnvironmentState.Quarantined, from, to);
            var inService = period - quarantined;
            return new EnvironmentReliability(e.Key, e.Name, mine.Count(r => r.StartedUtc >= from),
                Math.Clamp(ran / period.TotalSeconds, 0, 1), infrastructure,
                finished.Count == 0 ? null : (double)infrastructure / finished.Count,
                finished.Count(r => r.Attribution == RunAttribution.Hung || r.State == TestRunState.Hung),
                infrastructure == 0 ? null : inService / infrastructure, quarantined);
        }).ToList();
        return new ReliabilityReport(period, from, to, rows);
    }

    /// <summary>
    /// The time within [from, to) the environment was quarantined: from each quarantine to its return (a successful
    /// return, else — for entries written before returns were recorded — the next admin return), or to now while it lasts.
    /// </summary>
    internal static TimeSpan QuarantinedWithin(IReadOnlyList<Mark> marks, bool quarantinedNow, DateTime from, DateTime to)
    {
        var total = TimeSpan.Zero;
        for (var i = 0; i < marks.Count; i++)
        {
            if (marks[i].Action != AuditActions.EnvironmentQuarantined) continue;
            var start = marks[i].AtUtc;
            var later = marks.Skip(i + 1).ToList();
            var end = later.FirstOrDefault(m => m.Action is AuditActions.EnvironmentReturned or AuditActions.EnvironmentRetired)?.AtUtc
                      ?? (quarantinedNow && !later.Any(m => m.Action == AuditActions.EnvironmentQuarantined) ? to : (DateTime?)null)
                      ?? later.FirstOrDefault(m => m.Action == AuditActions.AdminReturn)?.AtUtc
                      ?? start;
            // A second quarantine before a return (a quarantine of a quarantined environment is refused, but be safe) ends the first.
            if (later.FirstOrDefault(m => m.Action == AuditActions.EnvironmentQuarantined) is { } next && next.AtUtc < end) end = next.AtUtc;
            var span = Clip(end, from, to) - Clip(start, from, to);
            if (span > TimeSpan.Zero) total += span;
        }
        return total;
    }

    private static DateTime Clip(DateTime t, DateTime from, DateTime to) => t < from ? from : t > to ? to : t;

    private sealed record RunSpan(int EnvironmentId, DateTime StartedUtc, DateTime? EndedUtc, TestRunState State, RunAttribution? Attribution);

    internal sealed record Mark(int EnvironmentId, DateTime AtUtc, string Action);
}
