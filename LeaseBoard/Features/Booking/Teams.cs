using LeaseBoard.Data;
using LeaseBoard.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Booking;

/// <summary>A team's week so far: the hours its members have booked against its budget.</summary>
public sealed record TeamWeek(string Team, double UsedHours, double WeeklyHours, int MaxConcurrent, DateTime WeekStartUtc)
{
    public string Sentence => $"Your team {Team} has used {UsedHours:0.#} of {WeeklyHours:0.#} hours this week; it may hold {MaxConcurrent} environment{(MaxConcurrent == 1 ? "" : "s")} at once.";
}

/// <summary>
/// The configured teams (<c>LeaseBoard:Booking:Teams</c>): which one a name or an Entra group means, and a team's week.
/// A person's team is stored on <see cref="Person.Team"/>: from an Entra group at each sign-in, or set by an admin.
/// </summary>
public sealed class Teams(IDbContextFactory<LeaseBoardDb> dbs, IOptionsMonitor<BookingOptions> options, TimeProvider clock)
{
    public IReadOnlyList<TeamOptions> All => options.CurrentValue.Teams;

    public TeamOptions? Named(string? name) => Named(options.CurrentValue, name);

    public static TeamOptions? Named(BookingOptions rules, string? name) =>
        name is null ? null : rules.Teams.FirstOrDefault(t => string.Equals(t.Name.Trim(), name.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The team a sign-in puts a person in: the first team whose Entra group is among their groups. A person in no such
    /// group keeps a team an admin set (one without a group), and leaves a team they had from a group they left.
    /// </summary>
    public string? AfterSignIn(string? current, IEnumerable<string> groups)
    {
        var mine = groups.ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (All.FirstOrDefault(t => t.EntraGroup.Length > 0 && mine.Contains(t.EntraGroup)) is { } fromGroup) return fromGroup.Name.Trim();
        return Named(current) is { EntraGroup.Length: 0 } setByAdmin ? setByAdmin.Name.Trim() : null;
    }

    /// <summary>The hours booked this week by the members of <paramref name="userId"/>'s team; null when they have none.</summary>
    public async Task<TeamWeek?> WeekOfAsync(string userId, CancellationToken ct = default)
    {
        if (All.Count == 0) return null;
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (Named(await db.People.Where(p => p.Id == userId).Select(p => p.Team).FirstOrDefaultAsync(ct)) is not { } team) return null;
        var weekStart = BookingRules.WeekStart(clock.GetUtcNow().UtcDateTime);
        var weekEnd = weekStart.AddDays(7);
        var name = team.Name.Trim();
        var held = await db.Reservations.AsNoTracking()
            .Where(r => r.StartUtc >= weekStart && r.StartUtc < weekEnd && db.People.Any(p => p.Id == r.OwnerId && p.Team == name)
                        && (r.State == ReservationState.Scheduled || r.State == ReservationState.Active
                            || FairUse.RanStates.Contains(r.State) && r.Runs.Any(x => x.Attribution != null && x.Attribution != RunAttribution.Infrastructure)))
            .Select(r => new HeldSlot(r.OwnerId, "", "", r.StartUtc, r.EndedUtc != null && r.EndedUtc < r.EndUtc ? r.EndedUtc.Value : r.EndUtc))
            .ToListAsync(ct);
        return new TeamWeek(name, FairUse.HoursInWeek(held, weekStart), team.WeeklyHours, team.MaxConcurrent, weekStart);
    }
}
