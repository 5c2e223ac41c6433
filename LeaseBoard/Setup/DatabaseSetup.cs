using LeaseBoard.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Setup;

public static class DatabaseSetup
{
    public static WebApplicationBuilder AddDatabase(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        builder.Services.AddValidatedOptions<DatabaseOptions>(DatabaseOptions.Section);
        var connectionString = builder.Configuration.GetConnectionString(DatabaseProviders.ConnectionStringName);

        switch (options.Provider)
        {
            case DatabaseProvider.Sqlite:
                var sqlite = DatabaseProviders.PrepareSqliteFile(connectionString ?? DatabaseProviders.DefaultSqliteConnectionString, builder.Environment.ContentRootPath);
                builder.Services.AddLeaseBoardDb<SqliteLeaseBoardDb>(o => DatabaseProviders.ConfigureSqlite(o, sqlite));
                break;
            case DatabaseProvider.SqlServer:
                if (string.IsNullOrWhiteSpace(connectionString))
                    throw new InvalidOperationException(
                        $"LeaseBoard:Database:Provider is SqlServer but ConnectionStrings:{DatabaseProviders.ConnectionStringName} is empty. Set it (environment variable ConnectionStrings__{DatabaseProviders.ConnectionStringName}).");
                builder.Services.AddLeaseBoardDb<SqlServerLeaseBoardDb>(o => DatabaseProviders.ConfigureSqlServer(o, connectionString));
                break;
            default:
                throw new InvalidOperationException($"LeaseBoard:Database:Provider '{options.Provider}' is not supported: use Sqlite or SqlServer.");
        }

        builder.Services.AddHealthChecks().AddDbContextCheck<LeaseBoardDb>("database", tags: ["ready"]);
        return builder;
    }

    /// <summary>Migrates the database (unless turned off) before the app takes requests.</summary>
    public static async Task MigrateDatabaseAsync(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<LeaseBoardDb>>().CreateDbContextAsync();
        if (options.MigrateOnStartup)
            await db.Database.MigrateAsync();
        if (db.Provider == DatabaseProvider.Sqlite)
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
    }
}
