using LeaseBoard.Data;
using LeaseBoard.Domain;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Features.SignIn;

/// <summary>
/// Keeps <see cref="Person"/> rows: who signed in, under which name, with which role, and when last; and, when a
/// team rule is given, in which team (the sign-in wiring passes the booking feature's rule from the person's groups).
/// </summary>
public sealed class PeopleService(IDbContextFactory<LeaseBoardDb> dbs, TimeProvider clock)
{
    public Task RecordSignInAsync(Actor actor, CancellationToken ct = default) => RecordSignInAsync(actor, team: null, ct);

    /// <param name="team">The person's team after this sign-in, from their team before it; null leaves the team alone.</param>
    public async Task RecordSignInAsync(Actor actor, Func<string?, string?>? team, CancellationToken ct = default)
    {
        // Two first sign-ins at once both insert; the loser finds the row on its second try and updates it.
        for (var attempt = 0; ; attempt++)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var person = await db.People.FirstOrDefaultAsync(p => p.Id == actor.Id, ct);
            if (person is null) db.People.Add(person = new Person { Id = actor.Id, DisplayName = actor.DisplayName });
            person.DisplayName = Rules.Truncate(actor.DisplayName, 256);
            person.IsAdmin = actor.IsAdmin;
            if (team is not null) person.Team = team(person.Team);
            person.LastSignInUtc = clock.GetUtcNow().UtcDateTime;
            try
            {
                await db.SaveChangesAsync(ct);
                return;
            }
            catch (DbUpdateException) when (attempt == 0)
            {
            }
        }
    }
}
