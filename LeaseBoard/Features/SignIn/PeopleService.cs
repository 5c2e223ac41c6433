using LeaseBoard.Data;
using LeaseBoard.Domain;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Features.SignIn;

/// <summary>Keeps <see cref="Person"/> rows: who signed in, under which name, with which role, and when last.</summary>
public sealed class PeopleService(IDbContextFactory<LeaseBoardDb> dbs, TimeProvider clock)
{
    public async Task RecordSignInAsync(Actor actor, CancellationToken ct = default)
    {
        // Two first sign-ins at once both insert; the loser finds the row on its second try and updates it.
        for (var attempt = 0; ; attempt++)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var person = await db.People.FirstOrDefaultAsync(p => p.Id == actor.Id, ct);
            if (person is null) db.People.Add(person = new Person { Id = actor.Id, DisplayName = actor.DisplayName });
            person.DisplayName = Rules.Truncate(actor.DisplayName, 256);
            person.IsAdmin = actor.IsAdmin;
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
