using LeaseBoard.Data;
using LeaseBoard.Setup;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Tests.Data;

/// <summary>Each provider's migrations match the model; neither check needs a database server.</summary>
public sealed class MigrationTests
{
    /// <summary>Never opened: EF only needs the provider to build the model and compare it with the snapshot.</summary>
    public const string UnusedSqlServerConnectionString = "Server=sql.invalid;Database=LeaseBoard;Integrated Security=true;TrustServerCertificate=true";

    public static SqliteLeaseBoardDb SqliteContext()
    {
        var options = new DbContextOptionsBuilder<SqliteLeaseBoardDb>();
        DatabaseProviders.ConfigureSqlite(options, "Data Source=:memory:");
        return new SqliteLeaseBoardDb(options.Options);
    }

    public static SqlServerLeaseBoardDb SqlServerContext()
    {
        var options = new DbContextOptionsBuilder<SqlServerLeaseBoardDb>();
        DatabaseProviders.ConfigureSqlServer(options, UnusedSqlServerConnectionString);
        return new SqlServerLeaseBoardDb(options.Options);
    }

    private static LeaseBoardDb Context(DatabaseProvider provider) => provider == DatabaseProvider.Sqlite ? SqliteContext() : SqlServerContext();

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public void The_model_has_no_changes_that_lack_a_migration(DatabaseProvider provider)
    {
        using var db = Context(provider);

        Assert.False(db.Database.HasPendingModelChanges(),
            $"The model differs from the {provider} migrations snapshot: add a migration for {provider} (dotnet ef migrations add <Name> --context {db.GetType().Name} --output-dir Data/Migrations/{provider}).");
    }

    [Fact]
    public void Both_providers_have_the_same_migrations_in_the_same_order()
    {
        using var sqlite = SqliteContext();
        using var sqlServer = SqlServerContext();

        static IEnumerable<string> Names(LeaseBoardDb db) => db.Database.GetMigrations().Select(id => id[(id.IndexOf('_') + 1)..]);

        Assert.NotEmpty(Names(sqlite));
        Assert.Equal(Names(sqlite), Names(sqlServer));
    }

    [SkippableTheory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.SqlServer)]
    public async Task Migrating_an_empty_database_applies_every_migration(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, environments: 0);
        await using var db = database.CreateDbContext();

        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
    }
}
