using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.Data;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.SqlServer.TransactSql.ScriptDom;

namespace LeaseBoard.Tests.Features.Booking;

/// <summary>"My reservations" on both providers: the live ones soonest first, then the latest finished ones.</summary>
public sealed class MyReservationsQueryTests
{
    [SkippableTheory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public async Task Mine_lists_live_reservations_soonest_first_then_finished_ones_newest_first_and_only_the_owners(DatabaseProvider provider)
    {
        await using var h = await BookingHarness.CreateAsync(provider);
        async Task<int> Seed(int env, int daysAhead, ReservationState state, string title, Actor? owner = null) =>
            (await new ReservationBuilder(h.Env(env).Id, h.At(14, daysAhead: daysAhead), h.At(15, daysAhead: daysAhead))
                .InState(state).Titled(title).OwnedBy(owner ?? TestActors.Ana).SaveAsync(h.Database)).Id;
        await Seed(1, -3, ReservationState.Completed, "Oldest finished");
        await Seed(2, 2, ReservationState.Scheduled, "Later");
        await Seed(3, -1, ReservationState.Cancelled, "Newest finished");
        await Seed(1, 0, ReservationState.Active, "Running now");
        await Seed(4, -2, ReservationState.Failed, "Middle finished");
        await Seed(5, 1, ReservationState.Scheduled, "Someone else's", TestActors.Ben);

        var mine = await h.Queries.MineAsync(TestActors.Ana.Id);

        Assert.Equal(["Running now", "Later", "Newest finished", "Middle finished", "Oldest finished"], mine.Select(r => r.Title));
        Assert.All(mine, r => Assert.Equal(TestActors.Ana.Id, r.OwnerId));
        Assert.Equal(("env-1", "Env 1"), (mine[0].EnvironmentKey, mine[0].EnvironmentName));
    }

    [SkippableTheory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public async Task Mine_keeps_only_the_most_recent_finished_reservations_and_shows_each_ones_latest_run(DatabaseProvider provider)
    {
        await using var h = await BookingHarness.CreateAsync(provider);
        for (var day = 1; day <= 4; day++)
            await new ReservationBuilder(h.Env(1).Id, h.At(10, daysAhead: -day), h.At(11, daysAhead: -day))
                .InState(ReservationState.Completed).Titled($"{day} days ago").SaveAsync(h.Database);
        var active = await new ReservationBuilder(h.Env(2).Id, h.At(9), h.At(12)).InState(ReservationState.Active).SaveAsync(h.Database);
        await using (var db = h.Database.CreateDbContext())
        {
            db.TestRuns.Add(new TestRun { ReservationId = active.Id, EnvironmentId = active.EnvironmentId, FencingToken = 1, State = TestRunState.Failed, StartedUtc = h.At(9) });
            db.TestRuns.Add(new TestRun { ReservationId = active.Id, EnvironmentId = active.EnvironmentId, FencingToken = 2, State = TestRunState.Running, StartedUtc = h.At(9, 5), ProgressPercent = 40 });
            await db.SaveChangesAsync();
        }

        var mine = await h.Queries.MineAsync(TestActors.Ana.Id, recentFinished: 2);

        Assert.Equal(["Seeded test", "1 days ago", "2 days ago"], mine.Select(r => r.Title));
        Assert.Equal((TestRunState.Running, 40), (mine[0].RunState, mine[0].RunProgress));
        Assert.Equal((null, null), (mine[1].RunState, mine[1].RunProgress));
    }

    [SkippableTheory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public async Task Mine_is_empty_for_a_user_without_reservations(DatabaseProvider provider)
    {
        await using var h = await BookingHarness.CreateAsync(provider);

        Assert.Empty(await h.Queries.MineAsync("local:nobody"));
    }

    /// <summary>Without a server, the SQL Server translation is still checked: it must translate, and be valid T-SQL.</summary>
    [Fact]
    public void Mine_translates_to_valid_t_sql_without_a_sql_server()
    {
        using var db = MigrationTests.SqlServerContext();

        foreach (var sql in new[] { ReservationQueries.MineLive(db, "local:ana").ToQueryString(), ReservationQueries.MineFinished(db, "local:ana", 20).ToQueryString() })
        {
            new TSql160Parser(initialQuotedIdentifiers: true).Parse(new StringReader(sql), out var errors);
            Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => e.Message)) + "\n" + sql);
            Assert.Contains("ORDER BY", sql);
        }
    }
}
