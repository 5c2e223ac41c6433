using LeaseBoard.Domain;

namespace LeaseBoard.Features.Queue;

/// <summary>A time range an environment is taken for: a live reservation (its changeover after it) or a maintenance window.</summary>
public readonly record struct Busy(int EnvironmentId, DateTime StartUtc, DateTime EndUtc, bool IsMaintenance);

/// <summary>
/// The queue's pure rules, shared by the placer and the list: the fair-share order and the search for the
/// earliest gap. Fair share takes owners in turn — the owner served least recently first (never served first, then
/// the one whose oldest waiting entry is oldest) — and first come first served within an owner, so one owner's
/// twenty entries never starve another's one.
/// </summary>
public static class QueuePlan
{
    /// <summary>Waiting entries in the order the queue serves them; <paramref name="lastServed"/> is each owner's latest placement.</summary>
    public static List<QueueEntry> FairOrder(IEnumerable<QueueEntry> waiting, IReadOnlyDictionary<string, DateTime> lastServed)
    {
        var byOwner = waiting.GroupBy(e => e.OwnerId, StringComparer.Ordinal)
            .Select(g => (Owner: g.Key, Entries: g.OrderBy(e => e.CreatedUtc).ThenBy(e => e.Id).ToList()))
            .OrderBy(o => lastServed.TryGetValue(o.Owner, out var served) ? served : DateTime.MinValue)
            .ThenBy(o => o.Entries[0].CreatedUtc).ThenBy(o => o.Entries[0].Id)
            .ToList();
        var order = new List<QueueEntry>();
        for (var round = 0; order.Count < byOwner.Sum(o => o.Entries.Count); round++)
            foreach (var (_, entries) in byOwner)
                if (round < entries.Count) order.Add(entries[round]);
        return order;
    }

    /// <summary>Whether [start, end) on the environment is free: a reservation needs the changeover after it (and the claim after itself), maintenance none.</summary>
    public static bool IsFree(IEnumerable<Busy> busy, int environmentId, DateTime startUtc, DateTime endUtc, TimeSpan buffer) =>
        !busy.Any(b => b.EnvironmentId == environmentId && b.StartUtc < endUtc + buffer && (b.IsMaintenance ? b.EndUtc : b.EndUtc + buffer) > startUtc);

    /// <summary>The earliest start at or after <paramref name="fromUtc"/> (on the grid) where the duration fits on the environment.</summary>
    public static DateTime EarliestStart(IEnumerable<Busy> busy, int environmentId, DateTime fromUtc, TimeSpan duration, TimeSpan buffer, TimeSpan grid)
    {
        var candidate = fromUtc;
        foreach (var b in busy.Where(b => b.EnvironmentId == environmentId).OrderBy(b => b.StartUtc))
        {
            if (candidate + duration + buffer <= b.StartUtc) break;
            var after = Ceil(b.IsMaintenance ? b.EndUtc : b.EndUtc + buffer, grid);
            if (after > candidate) candidate = after;
        }
        return candidate;
    }

    private static DateTime Ceil(DateTime instant, TimeSpan grid)
    {
        var remainder = instant.Ticks % grid.Ticks;
        return remainder == 0 ? instant : new DateTime(instant.Ticks - remainder + grid.Ticks, DateTimeKind.Utc);
    }
}
