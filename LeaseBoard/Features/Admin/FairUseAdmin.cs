using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Features.Admin;

/// <summary>A person as the admin page lists them: their team and the exception from the limits in force, if any.</summary>
public sealed record PersonRow(string Id, string DisplayName, bool IsAdmin, string? Team, DateTime LastSignInUtc, ActiveException? Exception);

public sealed record ActiveException(int Id, string Reason, string GrantedBy, DateTime EndsUtc);

/// <summary>
/// The admin's side of fair use: set a person's team (for the local sign-in, or a team without an Entra group),
/// grant a temporary exception from the limits with a reason and an end, and revoke it. Each action is authorised
/// here, needs a reason, and is audited in the same save as its change.
/// </summary>
public sealed class FairUseAdmin(IDbContextFactory<LeaseBoardDb> dbs, Teams teams, TimeProvider clock)
{
    /// <summary>The longest exception an admin may grant.</summary>
    public static readonly TimeSpan MaxException = TimeSpan.FromDays(90);

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public async Task<List<PersonRow>> PeopleAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var now = Now;
        var people = await db.People.AsNoTracking().OrderBy(p => p.DisplayName).ToListAsync(ct);
        var exceptions = (await db.LimitExceptions.AsNoTracking().Where(x => x.RevokedUtc == null && x.EndsUtc > now).ToListAsync(ct))
            .GroupBy(x => x.UserId).ToDictionary(g => g.Key, g => g.MaxBy(x => x.EndsUtc)!);
        return people.Select(p => new PersonRow(p.Id, p.DisplayName, p.IsAdmin, p.Team, p.LastSignInUtc,
            exceptions.GetValueOrDefault(p.Id) is { } x ? new ActiveException(x.Id, x.Reason, x.GrantedBy, x.EndsUtc) : null)).ToList();
    }

    /// <summary>Puts a person in a configured team, or in none (<paramref name="team"/> null or empty).</summary>
    public Task<AdminResult> SetTeamAsync(Actor actor, string personId, string? team, string reason, CancellationToken ct = default) =>
        ActAsync(actor, personId, reason, ct, (db, person, why) =>
        {
            string? name = null;
            if (!string.IsNullOrWhiteSpace(team))
            {
                if (teams.Named(team) is not { } known)
                    return Task.FromResult(AdminResult.Invalid($"There is no team '{team.Trim()}'. Teams are configured under LeaseBoard:Booking:Teams: {string.Join(", ", teams.All.Select(t => t.Name.Trim()))}."));
                name = known.Name.Trim();
            }
            if (person.Team == name) return Task.FromResult(AdminResult.Refused($"{person.DisplayName} is already {(name is null ? "in no team" : $"in {name}")}."));
            var before = person.Team ?? "no team";
            person.Team = name;
            var done = AdminResult.Done($"{person.DisplayName} is now {(name is null ? "in no team" : $"in {name}")} (was {before}).");
            db.AuditEntries.Add(AuditEntry.For(actor, AuditActions.TeamSet, $"{actor.DisplayName}: {done.Message} Reason: {why}", clock));
            return Task.FromResult(done);
        });

    /// <summary>Exempts a person from the fair-use limits until <paramref name="endsUtc"/> (at most <see cref="MaxException"/> ahead).</summary>
    public Task<AdminResult> GrantExceptionAsync(Actor actor, string personId, DateTime endsUtc, string reason, CancellationToken ct = default) =>
        ActAsync(actor, personId, reason, ct, (db, person, why) =>
        {
            if (endsUtc <= Now) return Task.FromResult(AdminResult.Invalid("The exception must end in the future."));
            if (endsUtc > Now + MaxException) return Task.FromResult(AdminResult.Invalid($"An exception lasts at most {MaxException.TotalDays:0} days; grant a new one when it ends."));
            db.LimitExceptions.Add(new LimitException { UserId = person.Id, Reason = why, GrantedBy = actor.DisplayName, GrantedUtc = Now, EndsUtc = endsUtc });
            var done = AdminResult.Done($"{person.DisplayName} is exempt from the fair-use limits until {TimeText.Utc(endsUtc)}; every booking that uses it is audited.");
            db.AuditEntries.Add(AuditEntry.For(actor, AuditActions.LimitExceptionGranted, $"{actor.DisplayName}: {done.Message} Reason: {why}", clock));
            return Task.FromResult(done);
        });

    /// <summary>Ends every exception in force for a person, at once.</summary>
    public Task<AdminResult> RevokeExceptionAsync(Actor actor, string personId, string reason, CancellationToken ct = default) =>
        ActAsync(actor, personId, reason, ct, async (db, person, why) =>
        {
            var now = Now;
            var active = await db.LimitExceptions.Where(x => x.UserId == person.Id && x.RevokedUtc == null && x.EndsUtc > now).ToListAsync(ct);
            if (active.Count == 0) return AdminResult.Refused($"{person.DisplayName} has no exception in force.");
            foreach (var exception in active) exception.RevokedUtc = now;
            var done = AdminResult.Done($"{person.DisplayName}'s exception from the fair-use limits is revoked; the limits apply to their next booking.");
            db.AuditEntries.Add(AuditEntry.For(actor, AuditActions.LimitExceptionRevoked, $"{actor.DisplayName}: {done.Message} Reason: {why}", clock));
            return done;
        });

    public Task<AdminResult> RunAsync(Actor actor, string personId, FairUseRequest request, CancellationToken ct = default) => request.Kind switch
    {
        FairUseAction.Team => SetTeamAsync(actor, personId, request.Team, request.Reason, ct),
        FairUseAction.Grant when request.EndsUtc is { } ends => GrantExceptionAsync(actor, personId, ends, request.Reason, ct),
        FairUseAction.Grant => Task.FromResult(AdminResult.Invalid("Give the day and time the exception ends.")),
        _ => RevokeExceptionAsync(actor, personId, request.Reason, ct),
    };

    private async Task<AdminResult> ActAsync(Actor actor, string personId, string reason, CancellationToken ct,
        Func<LeaseBoardDb, Person, string, Task<AdminResult>> act)
    {
        if (!actor.IsAdmin) return AdminResult.Forbidden();
        var why = reason?.Trim() ?? "";
        if (why.Length == 0) return AdminResult.Invalid("A reason is required.");
        if (why.Length > Rules.ReasonMaxLength) return AdminResult.Invalid($"A reason has at most {Rules.ReasonMaxLength} characters.");
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (await db.People.FirstOrDefaultAsync(p => p.Id == personId, ct) is not { } person)
            return new AdminResult(AdminOutcome.NotFound, "Nobody with that id has signed in.");
        var result = await act(db, person, why);
        if (result.Succeeded) await db.SaveChangesAsync(ct);
        return result;
    }
}

public enum FairUseAction { Team, Grant, Revoke }

/// <summary>What the fair-use dialog asks for: the action, its reason, and the team or the exception's end.</summary>
public sealed record FairUseRequest(FairUseAction Kind, string Reason, string? Team, DateTime? EndsUtc);
