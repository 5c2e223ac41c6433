using System.Data;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Setup;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace LeaseBoard.Tests.Data;

/// <summary>SQLite's busy/locked errors are retried (the whole unit) and counted on the metrics meter; nothing else is retried.</summary>
[Collection(TransientRetryCollection.Name)]
public sealed class SqliteBusyRetryStrategyTests
{
    private const int SqliteBusy = 5, SqliteLocked = 6, SqliteConstraint = 19;

    [Theory]
    [InlineData(SqliteBusy)]
    [InlineData(SqliteLocked)]
    public void A_busy_or_locked_error_is_retried_and_counted(int errorCode)
    {
        using var retries = new TransientRetryCounter();
        using var db = MigrationTests.SqliteContext();
        var strategy = db.Database.CreateExecutionStrategy();
        var attempts = 0;

        var result = strategy.Execute(() => ++attempts == 1 ? throw new SqliteException("database is locked", errorCode) : "done");

        Assert.Equal(("done", 2, 1L), (result, attempts, retries.Count));
    }

    [Fact]
    public void Any_other_sqlite_error_is_not_retried()
    {
        using var retries = new TransientRetryCounter();
        using var db = MigrationTests.SqliteContext();
        var strategy = db.Database.CreateExecutionStrategy();
        var attempts = 0;

        var error = Assert.Throws<SqliteException>(() => strategy.Execute(() => { attempts++; throw new SqliteException("constraint failed", SqliteConstraint); }));

        Assert.Equal((SqliteConstraint, 1, 0L), (error.SqliteErrorCode, attempts, retries.Count));
    }

    [Fact]
    public async Task A_booking_that_meets_a_held_write_lock_is_retried_and_succeeds_once_the_lock_is_gone()
    {
        await using var h = await BookingHarness.CreateAsync();
        // Same database, but give up waiting for the lock after one second, so SQLITE_BUSY reaches the strategy.
        var impatient = new SqliteConnectionStringBuilder(h.Database.ConnectionString) { DefaultTimeout = 1 }.ToString();
        var options = new DbContextOptionsBuilder<SqliteLeaseBoardDb>();
        DatabaseProviders.ConfigureSqlite(options, impatient);
        var impatientDbs = new Factory(() => new SqliteLeaseBoardDb(options.Options));
        var monitor = new StaticOptionsMonitor<BookingOptions>(h.Options);
        var service = new BookingService(impatientDbs, monitor, new SlotGuard(impatientDbs, monitor, h.Clock, h.Turns), h.Clock, h.FollowUps, h.Telemetry, NullLogger<BookingService>.Instance);
        using var retries = new TransientRetryCounter();

        await using var blocker = new SqliteConnection(h.Database.ConnectionString);
        await blocker.OpenAsync();
        var held = (SqliteTransaction)await blocker.BeginTransactionAsync(IsolationLevel.Serializable); // BEGIN IMMEDIATE: the write lock
        var booking = Task.Run(() => service.BookAsync(
            new BookingRequest(h.Env(1).Id, h.At(14), TimeSpan.FromHours(1), "Soak", TestKind.Soak, ""), TestActors.Ana));
        await retries.FirstRetry.WaitAsync(TimeSpan.FromSeconds(20));
        await held.RollbackAsync();
        var result = await booking.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(BookingOutcome.Booked, result.Outcome);
        Assert.InRange(retries.Count, 1, 8);
        Assert.Single(await h.Database.LiveReservationsAsync());
    }

    private sealed class Factory(Func<LeaseBoardDb> create) : IDbContextFactory<LeaseBoardDb>
    {
        public LeaseBoardDb CreateDbContext() => create();
    }
}
