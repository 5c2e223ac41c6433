using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Setup;
using Microsoft.Data.SqlClient;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// A real, migrated database of its own for one test: a SQLite file in a temp folder, or — when
/// <c>LEASEBOARD_TEST_SQLSERVER</c> holds a connection string — a fresh database on that SQL Server.
/// </summary>
public sealed class TestDatabase : IDbContextFactory<LeaseBoardDb>, IAsyncDisposable
{
    public const string SqlServerVariable = "LEASEBOARD_TEST_SQLSERVER";

    private readonly Func<LeaseBoardDb> _create;
    private readonly Func<Task> _drop;

    private TestDatabase(DatabaseProvider provider, string connectionString, CommandHook commands, Func<LeaseBoardDb> create, Func<Task> drop)
    {
        Provider = provider;
        ConnectionString = connectionString;
        Commands = commands;
        _create = create;
        _drop = drop;
    }

    public DatabaseProvider Provider { get; }
    public string ConnectionString { get; }

    /// <summary>Sees every command the app sends, after it ran: a test puts another actor's work between two of them.</summary>
    public CommandHook Commands { get; }

    public static string? SqlServerConnectionString => Environment.GetEnvironmentVariable(SqlServerVariable) is { Length: > 0 } cs ? cs : null;

    /// <summary>Skips the calling test (with the reason) when the SQL Server variant has no server to run on.</summary>
    public static void SkipUnlessAvailable(DatabaseProvider provider) =>
        Skip.If(provider == DatabaseProvider.SqlServer && SqlServerConnectionString is null,
            $"SQL Server tests need a connection string in {SqlServerVariable}; none is set, so this variant did not run.");

    public static async Task<TestDatabase> CreateAsync(DatabaseProvider provider = DatabaseProvider.Sqlite, int environments = 5)
    {
        SkipUnlessAvailable(provider);
        var database = provider == DatabaseProvider.Sqlite ? CreateSqlite() : CreateSqlServer(SqlServerConnectionString!);
        await using (var db = database.CreateDbContext())
        {
            await db.Database.MigrateAsync();
            if (provider == DatabaseProvider.Sqlite) await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
            for (var i = 1; i <= environments; i++)
                db.Environments.Add(new TestEnvironment { Key = $"env-{i}", Name = $"Env {i}", SortOrder = i, Health = HealthStatus.Healthy });
            await db.SaveChangesAsync();
        }
        return database;
    }

    private static TestDatabase CreateSqlite()
    {
        var folder = Path.Combine(Path.GetTempPath(), "leaseboard-tests", Guid.NewGuid().ToString("N"));
        var connectionString = DatabaseProviders.PrepareSqliteFile($"Data Source={Path.Combine(folder, "test.db")}", folder);
        var options = new DbContextOptionsBuilder<SqliteLeaseBoardDb>();
        DatabaseProviders.ConfigureSqlite(options, connectionString);
        var hook = new CommandHook();
        options.AddInterceptors(hook);
        return new TestDatabase(DatabaseProvider.Sqlite, connectionString, hook, () => new SqliteLeaseBoardDb(options.Options), () =>
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            return Task.CompletedTask;
        });
    }

    private static TestDatabase CreateSqlServer(string serverConnectionString)
    {
        var name = "LeaseBoardTest_" + Guid.NewGuid().ToString("N");
        var connectionString = new SqlConnectionStringBuilder(serverConnectionString) { InitialCatalog = name }.ToString();
        var options = new DbContextOptionsBuilder<SqlServerLeaseBoardDb>();
        DatabaseProviders.ConfigureSqlServer(options, connectionString);
        var hook = new CommandHook();
        options.AddInterceptors(hook);
        return new TestDatabase(DatabaseProvider.SqlServer, connectionString, hook, () => new SqlServerLeaseBoardDb(options.Options), async () =>
        {
            await using var db = new SqlServerLeaseBoardDb(options.Options);
            await db.Database.EnsureDeletedAsync();
        });
    }

    public LeaseBoardDb CreateDbContext() => _create();

    public Task<LeaseBoardDb> CreateDbContextAsync(CancellationToken cancellationToken = default) => Task.FromResult(_create());

    public async Task<List<TestEnvironment>> EnvironmentsAsync()
    {
        await using var db = CreateDbContext();
        return await db.Environments.AsNoTracking().OrderBy(e => e.SortOrder).ToListAsync();
    }

    public async ValueTask DisposeAsync()
    {
        SqliteCleanup();
        await _drop();
    }

    private void SqliteCleanup()
    {
        if (Provider == DatabaseProvider.Sqlite) Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}

/// <summary>Runs <see cref="AfterCommand"/> (when set) once each command has run, with the command's SQL.</summary>
public sealed class CommandHook : Microsoft.EntityFrameworkCore.Diagnostics.DbCommandInterceptor
{
    public Func<string, Task>? AfterCommand { get; set; }

    public override async ValueTask<System.Data.Common.DbDataReader> ReaderExecutedAsync(System.Data.Common.DbCommand command,
        Microsoft.EntityFrameworkCore.Diagnostics.CommandExecutedEventData eventData, System.Data.Common.DbDataReader result, CancellationToken cancellationToken = default)
    {
        if (AfterCommand is { } after) await after(command.CommandText);
        return result;
    }

    public override async ValueTask<int> NonQueryExecutedAsync(System.Data.Common.DbCommand command,
        Microsoft.EntityFrameworkCore.Diagnostics.CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (AfterCommand is { } after) await after(command.CommandText);
        return result;
    }
}
