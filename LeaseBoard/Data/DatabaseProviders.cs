using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Data;

public sealed class DatabaseOptions
{
    public const string Section = "LeaseBoard:Database";

    /// <summary><c>Sqlite</c> (the embedded default) or <c>SqlServer</c>.</summary>
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Apply pending migrations when the app starts; turn off where a DBA applies the script.</summary>
    public bool MigrateOnStartup { get; set; } = true;
}

/// <summary>How each database provider is configured: used by the app's wiring, the design-time factories and the tests.</summary>
public static class DatabaseProviders
{
    public const string ConnectionStringName = "LeaseBoard";
    public const string DefaultSqliteConnectionString = "Data Source=data/leaseboard.db";

    public static void ConfigureSqlite(DbContextOptionsBuilder options, string connectionString) =>
        options.UseSqlite(connectionString, o =>
        {
            o.MigrationsAssembly(typeof(SqliteLeaseBoardDb).Assembly.GetName().Name);
            o.ExecutionStrategy(d => new SqliteBusyRetryStrategy(d));
        });

    public static void ConfigureSqlServer(DbContextOptionsBuilder options, string connectionString) =>
        options.UseSqlServer(connectionString, o => o.EnableRetryOnFailure(maxRetryCount: 6, maxRetryDelay: TimeSpan.FromSeconds(2), errorNumbersToAdd: null));

    /// <summary>
    /// Registers a factory of the provider's context and exposes it as the factory of the common
    /// <see cref="LeaseBoardDb"/>, which is all the rest of the app knows.
    /// </summary>
    public static IServiceCollection AddLeaseBoardDb<TContext>(this IServiceCollection services, Action<DbContextOptionsBuilder> configure)
        where TContext : LeaseBoardDb
    {
        services.AddDbContextFactory<TContext>(configure);
        services.AddSingleton<WriteTurns>();
        services.AddSingleton<IDbContextFactory<LeaseBoardDb>>(sp => new UpcastFactory<TContext>(sp.GetRequiredService<IDbContextFactory<TContext>>()));
        // Scoped context for the health check (and nothing else: code uses the factory).
        services.AddScoped<LeaseBoardDb>(sp => sp.GetRequiredService<IDbContextFactory<TContext>>().CreateDbContext());
        return services;
    }

    /// <summary>
    /// Where state that must outlive the app but is not LeaseBoard's own (the test framework drivers' stores)
    /// lives by default: the SQLite database's folder, or <c>data/</c> under the content root on SQL Server.
    /// </summary>
    public static string StateFolder(IConfiguration configuration, string contentRoot)
    {
        var options = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        if (options.Provider == DatabaseProvider.Sqlite)
        {
            var source = new SqliteConnectionStringBuilder(configuration.GetConnectionString(ConnectionStringName) ?? DefaultSqliteConnectionString).DataSource;
            if (source is not (":memory:" or "")) return Path.GetDirectoryName(Path.GetFullPath(source, contentRoot))!;
        }
        return Path.Combine(contentRoot, "data");
    }

    /// <summary>Resolves a relative SQLite file against the content root and makes its folder.</summary>
    public static string PrepareSqliteFile(string connectionString, string contentRoot)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.DataSource is not (":memory:" or "") && builder.Mode != SqliteOpenMode.Memory)
        {
            var path = Path.GetFullPath(builder.DataSource, contentRoot);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            builder.DataSource = path;
        }
        if (builder.DefaultTimeout < 30) builder.DefaultTimeout = 30;
        return builder.ToString();
    }

    private sealed class UpcastFactory<TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<LeaseBoardDb>
        where TContext : LeaseBoardDb
    {
        public LeaseBoardDb CreateDbContext() => inner.CreateDbContext();
        public async Task<LeaseBoardDb> CreateDbContextAsync(CancellationToken cancellationToken = default) =>
            await inner.CreateDbContextAsync(cancellationToken);
    }
}
