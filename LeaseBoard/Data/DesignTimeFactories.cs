using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace LeaseBoard.Data;

// Used only by `dotnet ef` to add migrations and write scripts; no database is contacted.
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteLeaseBoardDb>
{
    public SqliteLeaseBoardDb CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<SqliteLeaseBoardDb>();
        DatabaseProviders.ConfigureSqlite(options, "Data Source=design-time.db");
        return new SqliteLeaseBoardDb(options.Options);
    }
}

internal sealed class SqlServerDesignTimeFactory : IDesignTimeDbContextFactory<SqlServerLeaseBoardDb>
{
    public SqlServerLeaseBoardDb CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<SqlServerLeaseBoardDb>();
        DatabaseProviders.ConfigureSqlServer(options, "Server=localhost;Database=LeaseBoard;Integrated Security=true;TrustServerCertificate=true");
        return new SqlServerLeaseBoardDb(options.Options);
    }
}
