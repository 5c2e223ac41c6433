using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Tests.Data;

/// <summary>The model's conventions that both providers must honour.</summary>
public sealed class LeaseBoardDbTests
{
    [SkippableTheory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public async Task Instants_are_read_back_as_utc_with_the_same_value(DatabaseProvider provider)
    {
        await using var h = await BookingHarness.CreateAsync(provider);
        var start = h.At(14, 5, daysAhead: 3);
        var saved = await new ReservationBuilder(h.Env(1).Id, start, start.AddMinutes(95)).SaveAsync(h.Database);

        var read = await h.Database.ReservationAsync(saved.Id);

        Assert.Equal((start, start.AddMinutes(95)), (read.StartUtc, read.EndUtc));
        Assert.Equal((DateTimeKind.Utc, DateTimeKind.Utc, DateTimeKind.Utc), (read.StartUtc.Kind, read.EndUtc.Kind, read.CreatedUtc.Kind));
    }

    [SkippableTheory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public async Task Saving_renews_the_version_so_a_stale_update_is_refused(DatabaseProvider provider)
    {
        await using var h = await BookingHarness.CreateAsync(provider);
        var saved = await new ReservationBuilder(h.Env(1).Id, h.At(14), h.At(15)).SaveAsync(h.Database);
        await using var first = h.Database.CreateDbContext();
        await using var second = h.Database.CreateDbContext();
        var mine = await first.Reservations.SingleAsync(r => r.Id == saved.Id);
        var theirs = await second.Reservations.SingleAsync(r => r.Id == saved.Id);
        var originalVersion = mine.Version;

        mine.Title = "Mine";
        await first.SaveChangesAsync();
        theirs.Title = "Theirs";

        Assert.NotEqual(originalVersion, mine.Version);
        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => second.SaveChangesAsync());
        Assert.Equal("Mine", (await h.Database.ReservationAsync(saved.Id)).Title);
    }

    [SkippableTheory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public async Task States_and_kinds_are_stored_as_their_names(DatabaseProvider provider)
    {
        await using var h = await BookingHarness.CreateAsync(provider);
        await new ReservationBuilder(h.Env(1).Id, h.At(14), h.At(15)).InState(ReservationState.ForceReleased).SaveAsync(h.Database);
        await using var db = h.Database.CreateDbContext();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT State, TestKind FROM Reservations";

        await using var reader = await command.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal(("ForceReleased", "Load"), (reader.GetString(0), reader.GetString(1)));
    }
}
