using LeaseBoard.Data;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LeaseBoard.Tests.Data;

/// <summary>
/// An acknowledged booking survives a power cut: the app's SQLite connections write ahead (WAL) and sync the log
/// on every commit (synchronous = FULL). NORMAL would be faster and still consistent, but could lose the last
/// commits on a power cut — bookings the API has already answered 201 for.
/// </summary>
public sealed class SqliteDurabilityTests
{
    [Fact]
    public async Task The_apps_sqlite_connections_use_a_write_ahead_log_synced_on_every_commit()
    {
        await using var app = new LeaseBoardAppFactory();
        _ = app.Server;
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>().CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();

        Assert.Equal("wal", await db.Database.SqlQueryRaw<string>("SELECT journal_mode AS Value FROM pragma_journal_mode").SingleAsync());
        Assert.Equal(2, await db.Database.SqlQueryRaw<int>("SELECT synchronous AS Value FROM pragma_synchronous").SingleAsync()); // 2 = FULL
    }
}
